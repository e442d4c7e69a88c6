namespace PgOptimizer.Samples.Pitches;

/// <summary>How the demo runs: the data, and the load tests before and after.</summary>
public sealed record DemoRunOptions
{
    /// <summary>Scale and seed of the demo data.</summary>
    public SeedOptions Seed { get; init; } = new();

    /// <summary>Load the data again even when the same scale and seed are there. Default false.</summary>
    public bool Reseed { get; init; }

    /// <summary>Measured time of each load test. Default 30 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unmeasured time before each load test. Default 3 s.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Workers of the load tests (closed loop). Default 16.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Requests sampled from the workload whose distinct keys warm the cache before the optimized run. Default 20,000.</summary>
    public int CacheWarmupRequests { get; init; } = 20_000;
}
