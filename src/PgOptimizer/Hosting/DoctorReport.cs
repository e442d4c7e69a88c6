namespace PgOptimizer.Hosting;

/// <summary>Everything <c>pgopt doctor</c> found.</summary>
public sealed record DoctorReport(ServerInfo? Server, IReadOnlyList<ExtensionInfo> Extensions, IReadOnlyList<ReplicaInfo> Replicas, RedisInfo Redis, IReadOnlyList<DoctorCheck> Checks)
{
    /// <summary>No check failed (warnings allowed).</summary>
    public bool Healthy => Checks.All(c => c.Status != CheckStatus.Error);
}
