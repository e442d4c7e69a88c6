namespace PgOptimizer.Connections;

/// <summary>What a host name says about where the database runs.</summary>
/// <param name="IsNeon">A Neon host.</param>
/// <param name="IsPooler">Neon's PgBouncer pooler in transaction mode (<c>-pooler</c>).</param>
/// <param name="EndpointId">Neon's endpoint id (<c>ep-...</c>), or null.</param>
/// <param name="Region">The region a Neon host names (<c>us-east-2.aws</c> in <c>ep-x.us-east-2.aws.neon.tech</c>), or null.</param>
public sealed record HostKind(bool IsNeon, bool IsPooler, string? EndpointId, string? Region = null)
{
    /// <summary>
    /// Recognises Neon hosts (<c>ep-name-123456.region.aws.neon.tech</c>) and their PgBouncer
    /// pooler variant (<c>ep-name-123456-pooler.region...</c>), which runs in transaction mode.
    /// </summary>
    public static HostKind Of(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return new HostKind(false, false, null);
        }

        var first = host.Split(',')[0].Split(':')[0].Trim().ToLowerInvariant();
        var isNeon = first.EndsWith(".neon.tech", StringComparison.Ordinal) || first.EndsWith(".neon.build", StringComparison.Ordinal);
        var label = first.Split('.')[0];
        var isPooler = label.EndsWith("-pooler", StringComparison.Ordinal);
        string? endpointId = null;
        if (isNeon && label.StartsWith("ep-", StringComparison.Ordinal))
        {
            endpointId = isPooler ? label[..^"-pooler".Length] : label;
        }

        // ep-x.<region>.<cloud>.neon.tech: the labels between the endpoint and the domain
        var labels = first.Split('.');
        var region = isNeon && labels.Length > 3 ? string.Join('.', labels[1..^2]) : null;
        return new HostKind(isNeon, isPooler, endpointId, region);
    }
}
