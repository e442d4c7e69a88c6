namespace PgOptimizer.Connections;

/// <summary>What a host name says about where the database runs.</summary>
public sealed record HostKind(bool IsNeon, bool IsPooler, string? EndpointId)
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

        return new HostKind(isNeon, isPooler, endpointId);
    }
}
