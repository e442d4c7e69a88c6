namespace PgOptimizer.Monitoring;

/// <summary>Connections handed out by the connection manager's pools (all instances when aggregated).</summary>
public sealed record ConnectionHealth(
    int ActiveConnections,
    double ConnectionUsage,
    HealthLevel Status,
    IReadOnlyList<PoolHealth> Pools);
