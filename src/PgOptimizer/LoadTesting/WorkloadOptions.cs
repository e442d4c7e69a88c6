using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.LoadTesting;

/// <summary>How to replay a workload in a closed loop.</summary>
public sealed class WorkloadOptions
{
    /// <summary>How long to run, up to a day. Default 30 s.</summary>
    [DurationRange("00:00:00.001", "1.00:00:00")]
    public TimeSpan Duration { get; set; } = LoadTestDefaults.Duration;

    /// <summary>Concurrent workers (each runs one operation after another), 1 to 4096. Default 8.</summary>
    [Range(1, 4096)]
    public int Concurrency { get; set; } = LoadTestDefaults.WorkloadConcurrency;

    /// <summary>Seed of the parameter generators; worker i uses Seed + i. Default 1.</summary>
    public int Seed { get; set; } = LoadTestDefaults.Seed;

    /// <summary>Stop after this many operations in total (0 = no limit). Default 0.</summary>
    [Range(0, long.MaxValue)]
    public long MaxOperations { get; set; }

    internal void Validate() => new WorkloadOptionsValidator().ThrowIfInvalid(this, "Workload run");
}

/// <summary>Checks <see cref="WorkloadOptions"/> (generated from its attributes).</summary>
[OptionsValidator]
internal sealed partial class WorkloadOptionsValidator : IValidateOptions<WorkloadOptions>;
