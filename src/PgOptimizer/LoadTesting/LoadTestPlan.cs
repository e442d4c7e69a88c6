namespace PgOptimizer.LoadTesting;

/// <summary>One load test: the run's options, what executes it and how the cache starts.</summary>
public sealed record LoadTestPlan
{
    /// <summary>Rate or concurrency, duration, warm-up and seed.</summary>
    public LoadTestOptions Options { get; init; } = new();

    /// <summary>What runs the operations. Default <see cref="LoadTestExecutor.Toolkit"/>.</summary>
    public LoadTestExecutor Executor { get; init; } = LoadTestExecutor.Toolkit;

    /// <summary>Empty every cache strategy first, so the run starts from a known state. Default false.</summary>
    public bool ClearCache { get; init; }

    /// <summary>Before the run, load the distinct keys of this many requests sampled from the mix. Default 0: start cold.</summary>
    public int CacheWarmupRequests { get; init; }

    /// <summary>
    /// Cut the measured run into intervals of this length, each with its throughput, p95, cache hit
    /// rate and CPU per request (<see cref="LoadTestResult.Intervals"/>, and live through
    /// <see cref="LoadTestProgress.Interval"/>). Null (the default): the totals only. At least 1 s.
    /// </summary>
    public TimeSpan? ProgressInterval { get; init; }
}
