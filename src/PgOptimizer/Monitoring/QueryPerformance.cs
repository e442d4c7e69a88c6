namespace PgOptimizer.Monitoring;

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
