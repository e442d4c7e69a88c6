using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.LoadTesting;

/// <summary>How to run a workload at a fixed arrival rate.</summary>
public sealed class OpenLoopOptions
{
    /// <summary>Requests started per second whatever the latency, 0.001 to 1,000,000. Default 100.</summary>
    [Range(0.001, 1_000_000)]
    public double Rate { get; set; } = LoadTestDefaults.Rate;

    /// <summary>Measured time, up to a day. Default 30 s.</summary>
    [DurationRange("00:00:00.001", "1.00:00:00")]
    public TimeSpan Duration { get; set; } = LoadTestDefaults.Duration;

    /// <summary>Time at the same rate before measuring (pools, caches, JIT), up to an hour. Default 5 s.</summary>
    [DurationRange("00:00:00", "01:00:00")]
    public TimeSpan Warmup { get; set; } = LoadTestDefaults.Warmup;

    /// <summary>Requests in flight at most; beyond it new ones wait (and their latency counts the wait). Default 4096.</summary>
    [Range(1, 100_000)]
    public int MaxInFlight { get; set; } = LoadTestDefaults.MaxInFlight;

    /// <summary>Seed of the parameter generators. Default 1.</summary>
    public int Seed { get; set; } = LoadTestDefaults.Seed;

    internal void Validate() => new OpenLoopOptionsValidator().ThrowIfInvalid(this, "Open-loop run");
}

/// <summary>Checks <see cref="OpenLoopOptions"/> (generated from its attributes).</summary>
[OptionsValidator]
internal sealed partial class OpenLoopOptionsValidator : IValidateOptions<OpenLoopOptions>;
