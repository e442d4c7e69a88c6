namespace PgOptimizer.LoadTesting;

/// <summary>What a load test runs; checked by the closed- or open-loop runner it becomes.</summary>
public sealed class LoadTestOptions
{
    /// <summary>Requests per second (open loop). Null: closed loop at <see cref="Concurrency"/>. Default null.</summary>
    public double? Rate { get; set; }

    /// <summary>Workers of the closed loop, or the in-flight cap of the open loop. Default 32.</summary>
    public int Concurrency { get; set; } = LoadTestDefaults.LoadTestConcurrency;

    /// <summary>Measured time. Default 30 s.</summary>
    public TimeSpan Duration { get; set; } = LoadTestDefaults.Duration;

    /// <summary>Unmeasured time first. Default 5 s.</summary>
    public TimeSpan Warmup { get; set; } = LoadTestDefaults.Warmup;

    /// <summary>Seed of the parameter generators. Default 1.</summary>
    public int Seed { get; set; } = LoadTestDefaults.Seed;
}
