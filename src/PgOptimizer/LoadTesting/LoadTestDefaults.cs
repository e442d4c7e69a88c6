namespace PgOptimizer.LoadTesting;

/// <summary>The defaults of the load tester's options, in one place.</summary>
public static class LoadTestDefaults
{
    /// <summary>Measured time: 30 s.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);

    /// <summary>Unmeasured time first: 5 s.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(5);

    /// <summary>Workers of <c>pgopt workload run</c>: 8.</summary>
    public const int WorkloadConcurrency = 8;

    /// <summary>Workers of a load test (closed loop) or its in-flight cap (open loop): 32.</summary>
    public const int LoadTestConcurrency = 32;

    /// <summary>Arrival rate of an open loop when none is given: 100 requests/s.</summary>
    public const double Rate = 100;

    /// <summary>Requests in flight at most in an open loop: 4096.</summary>
    public const int MaxInFlight = 4096;

    /// <summary>Seed of the parameter generators: 1.</summary>
    public const int Seed = 1;
}
