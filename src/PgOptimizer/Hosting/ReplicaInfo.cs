namespace PgOptimizer.Hosting;

/// <summary>A replica as seen from itself and from the primary.</summary>
public sealed record ReplicaInfo(string Name, string Endpoint, bool Reachable, bool? InRecovery, double? ReplayLagSeconds, long? LagBytes, string? Error);
