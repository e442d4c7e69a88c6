using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

/// <summary>
/// The answer of <see cref="DatabasePerformanceMonitor.GetDatabaseHealthAsync"/>: the
/// specification's DatabaseHealth shape. Percentages are 0–100 like the alert thresholds.
/// </summary>
public sealed record DatabaseHealth(
    HealthLevel Overall,
    DateTimeOffset At,
    HealthMetrics Metrics,
    IReadOnlyList<Alert> Alerts,
    IReadOnlyList<Recommendation> Recommendations);

public sealed record HealthMetrics(
    ConnectionHealth ConnectionHealth,
    QueryPerformance QueryPerformance,
    CachePerformance CachePerformance,
    ServerHealth? Server);

/// <summary>Connections handed out by the connection manager's pools (all instances when aggregated).</summary>
public sealed record ConnectionHealth(
    int ActiveConnections,
    double ConnectionUsage,
    HealthLevel Status,
    IReadOnlyList<PoolHealth> Pools);

/// <summary>One pool: busy, idle and max connections and the mean wait for a connection.</summary>
public sealed record PoolHealth(string Endpoint, int Busy, int Idle, int Max, double Usage, double WaitP95Ms, string Circuit);

/// <summary>Client-side figures of the window since the previous evaluation (times in ms, rates in %).</summary>
public sealed record QueryPerformance(
    double AvgResponseTime,
    double P95,
    double P99,
    long SlowQueryCount,
    double SlowQueriesPerMinute,
    double ErrorRate,
    long Calls,
    double WindowSeconds,
    int Instances);

/// <summary>Hit, miss and eviction rates in % of lookups; <see cref="Source"/> says which cache.</summary>
public sealed record CachePerformance(string Source, double? HitRate, double? MissRate, double? EvictionRate);

/// <summary>What the server reported at this evaluation.</summary>
public sealed record ServerHealth(
    int Connections,
    int MaxConnections,
    double? LongestTransactionSeconds,
    int BlockedSessions,
    long DeadlocksInInterval,
    IReadOnlyList<ReplicaLag> Replicas,
    long WraparoundAge,
    long DatabaseBytes,
    double? CommitsPerSecond);

/// <summary>Something to do, with the numbers that show why.</summary>
public sealed record Recommendation(HealthLevel Severity, string Message, IReadOnlyDictionary<string, object?> Evidence, string Action);
