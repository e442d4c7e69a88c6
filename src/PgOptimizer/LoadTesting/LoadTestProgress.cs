using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>A load test while it runs: the run's progress and the cache's hits and misses since it started.</summary>
public readonly record struct LoadTestProgress(WorkloadProgress Run, CacheTotals Cache)
{
    /// <summary>The interval that just ended, on the report that ends it (with <see cref="LoadTestPlan.ProgressInterval"/>); otherwise null.</summary>
    public LoadTestInterval? Interval { get; init; }
}
