using PgOptimizer.Caching;
using PgOptimizer.Diagnostics;
using PgOptimizer.Indexing;

namespace PgOptimizer.LoadTesting;

/// <summary>A load test's report with what the cache and the indexes did for it.</summary>
/// <param name="Report">The run, peak connections and the write check.</param>
/// <param name="Executor">The executor's name ("pgoptimizer+cache", "raw-npgsql", …).</param>
/// <param name="Warmup">The cache warm-up before the run, if any.</param>
/// <param name="Cache">Cache hits and misses during the run (warm-up excluded).</param>
/// <param name="IdealCacheHitRate">What an ideal cache would have hit on the same requests (each key's first request misses); null unless the cache started empty.</param>
/// <param name="Coverage">The share of requests whose plan scans no large table sequentially; null when plans cannot be read.</param>
public sealed record LoadTestResult(
    LoadTestReport Report,
    string Executor,
    WarmupReport? Warmup,
    CacheTotals Cache,
    double? IdealCacheHitRate,
    IndexCoverage? Coverage)
{
    /// <summary>The endpoints and pool sizes the executor used.</summary>
    public string RunsOn { get; init; } = string.Empty;

    /// <summary>Each cache strategy's counters at the end of the run (cumulative for the process), with whether its misses still go to Redis; empty without the cache.</summary>
    public IReadOnlyList<CacheStrategyCounters> Strategies { get; init; } = [];

    /// <summary>
    /// What an ideal cache that stays correct would have hit: each key's first request and its first
    /// request after a write invalidated it miss; null unless the cache started empty. Between this
    /// and <see cref="CacheHitRate"/> are only expiry and memory limits.
    /// </summary>
    public double? IdealCacheHitRateWithInvalidation { get; init; }

    /// <summary>The measured run in intervals of <see cref="LoadTestPlan.ProgressInterval"/> (whole intervals only); empty without it.</summary>
    public IReadOnlyList<LoadTestInterval> Intervals { get; init; } = [];

    /// <summary>Hit rate of the run, or null when the cache was not used.</summary>
    public double? CacheHitRate => Cache.HitRatio;
}
