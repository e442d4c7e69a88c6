using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Monitoring;

/// <summary>
/// Thresholds of one alert. A value beyond <see cref="Warning"/> or <see cref="Critical"/> has to
/// stay there for <see cref="For"/> before the alert fires; a firing alert clears only when the
/// value is back inside its threshold by the <see cref="Hysteresis"/> margin, so that a value
/// hovering at the threshold does not flap.
/// </summary>
public sealed class AlertThreshold : IValidatableObject
{
    /// <summary>The value at which the alert becomes a warning.</summary>
    public double Warning { get; set; }

    /// <summary>The value at which the alert becomes critical.</summary>
    public double Critical { get; set; }

    /// <summary>True for figures where lower is worse (cache hit rate).</summary>
    public bool LowerIsWorse { get; set; }

    /// <summary>How long the condition must hold before the alert fires. Zero: at once. Default 1 min.</summary>
    [DurationRange("00:00:00")]
    public TimeSpan For { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Relative margin for clearing (0.1: a 70 % threshold clears below 63 %). Default 0.1.</summary>
    [Range(0.0, 0.999)]
    public double Hysteresis { get; set; } = 0.1;

    /// <summary>Unit of the thresholds, for messages ("ms", "%", "/min", "s").</summary>
    public string Unit { get; set; } = "";

    /// <summary>Evaluate this alert. Default true.</summary>
    public bool Enabled { get; set; } = true;

    internal HealthLevel Classify(double value) =>
        Beyond(value, Critical, 0) ? HealthLevel.Critical : Beyond(value, Warning, 0) ? HealthLevel.Warning : HealthLevel.Healthy;

    /// <summary>Whether an alert at <paramref name="level"/> still holds (threshold relaxed by the hysteresis margin).</summary>
    internal bool Holds(double value, HealthLevel level) => level switch
    {
        HealthLevel.Critical => Beyond(value, Critical, Hysteresis),
        HealthLevel.Warning => Beyond(value, Warning, Hysteresis),
        _ => false,
    };

    internal double ThresholdOf(HealthLevel level) => level == HealthLevel.Critical ? Critical : Warning;

    private bool Beyond(double value, double threshold, double margin) => LowerIsWorse
        ? value <= threshold * (1 + margin)
        : value >= threshold * (1 - margin);

    /// <summary>Thresholds must be numbers, critical beyond warning in the direction that is worse.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!double.IsFinite(Warning) || !double.IsFinite(Critical))
        {
            yield return new ValidationResult("warning and critical must be numbers.", [nameof(Warning), nameof(Critical)]);
        }
        else if (LowerIsWorse ? Critical > Warning : Critical < Warning)
        {
            yield return new ValidationResult(
                $"critical ({Critical}) must be {(LowerIsWorse ? "below" : "above")} warning ({Warning}) " +
                $"because {(LowerIsWorse ? "lower" : "higher")} values are worse; swap them or set LowerIsWorse.", [nameof(Critical)]);
        }
    }
}

/// <summary>Checks one <see cref="AlertThreshold"/> (generated from its attributes and rules).</summary>
[OptionsValidator]
internal sealed partial class AlertThresholdValidator : IValidateOptions<AlertThreshold>;
