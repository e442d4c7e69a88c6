namespace PgOptimizer.LoadTesting;

/// <summary>
/// One interval of a load test's measured run (<see cref="LoadTestPlan.ProgressInterval"/>), like
/// pgbench's <c>--progress</c> lines, with where the interval's CPU went: drift, a cache filling up
/// or another process taking the machine show here, where the run's totals average them away.
/// </summary>
/// <param name="Elapsed">Measured time at the end of the interval.</param>
/// <param name="Seconds">The interval's length in seconds (the last one may be shorter).</param>
/// <param name="Requests">Requests completed in the interval, failed ones included.</param>
/// <param name="Errors">Failed requests in the interval.</param>
/// <param name="P95Ms">p95 latency of about the last second of the interval, ms; null when none completed.</param>
/// <param name="CacheHitRatio">Cache hits ÷ lookups in the interval; null without the cache or lookups.</param>
/// <param name="Cpu">CPU of client, PostgreSQL, Redis and machine over the interval, per request.</param>
public sealed record LoadTestInterval(TimeSpan Elapsed, double Seconds, long Requests, long Errors, double? P95Ms, double? CacheHitRatio, CpuUsage Cpu)
{
    /// <summary>Requests per second over the interval.</summary>
    public double Throughput => Seconds > 0 ? Requests / Seconds : 0;
}
