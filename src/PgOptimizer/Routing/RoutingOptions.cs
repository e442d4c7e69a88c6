using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Routing;

/// <summary>Settings of read-replica routing.</summary>
public sealed class RoutingOptions : IValidatableObject
{
    /// <summary>How reads are spread over qualifying replicas. Default <see cref="LoadBalancingStrategy.Adaptive"/>.</summary>
    public LoadBalancingStrategy Strategy { get; set; } = RoutingDefaults.Strategy;

    /// <summary>A replica further behind than this (seconds since its last replayed transaction) leaves rotation. Default 30 s.</summary>
    [DurationRange("00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxLag { get; set; } = RoutingDefaults.MaxLag;

    /// <summary>A replica more WAL bytes behind the primary than this leaves rotation. Default 16 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxLagBytes { get; set; } = RoutingDefaults.MaxLagBytes;

    /// <summary>A lagging replica rejoins only below the limits minus this share of them, so one hovering at a limit does not flap. Default 0.2.</summary>
    [Range(0.0, 0.9)]
    public double LagHysteresis { get; set; } = RoutingDefaults.LagHysteresis;

    /// <summary>The application's region, for geographic routing. Default: the primary's (Neon hosts name it), else none.</summary>
    public string? Region { get; set; }

    /// <summary>Regions to prefer after the application's own, in order. Default none.</summary>
    public IList<string> RegionPreference { get; set; } = [];

    /// <summary>Extra cost the adaptive strategy gives a replica per second of lag, in milliseconds of latency. Default 10.</summary>
    [Range(0.0, 1_000_000.0)]
    public double LagPenaltyMsPerSecond { get; set; } = RoutingDefaults.LagPenaltyMsPerSecond;

    /// <summary>Rules between options.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Strategy))
        {
            yield return new ValidationResult($"Strategy '{Strategy}' is not one of {string.Join(", ", Enum.GetNames<LoadBalancingStrategy>())}.", [nameof(Strategy)]);
        }
    }
}

/// <summary>Checks <see cref="RoutingOptions"/> (generated from its attributes and rules).</summary>
[OptionsValidator]
internal sealed partial class RoutingOptionsValidator : IValidateOptions<RoutingOptions>;
