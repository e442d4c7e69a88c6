namespace PgOptimizer.Monitoring;

/// <summary>One standby as the primary sees it.</summary>
public sealed record ReplicaLag(string Name, string? ClientAddress, string State, long LagBytes, double? ReplayLagSeconds);
