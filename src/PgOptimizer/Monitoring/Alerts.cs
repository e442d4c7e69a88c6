using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
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
    public double Warning { get; set; }

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

/// <summary>Names of the built-in alerts.</summary>
public static class AlertNames
{
    public const string AvgQueryTime = "avg_query_time";
    public const string ConnectionUsage = "connection_usage";
    public const string ErrorRate = "error_rate";
    public const string CacheHitRate = "cache_hit_rate";
    public const string SlowQueryCount = "slow_query_count";
    public const string ServerConnectionUsage = "server_connection_usage";
    public const string TransactionAge = "transaction_age";
    public const string BlockedSessions = "blocked_sessions";
    public const string Deadlocks = "deadlocks";
    public const string DeadTupleRatio = "dead_tuple_ratio";
    public const string ReplicationLag = "replication_lag";
    public const string Wraparound = "wraparound";

    /// <summary>The specification's thresholds plus the usual PostgreSQL alert rules.</summary>
    public static Dictionary<string, AlertThreshold> Defaults() => new(StringComparer.Ordinal)
    {
        [AvgQueryTime] = new() { Warning = 100, Critical = 500, Unit = "ms" },
        [ConnectionUsage] = new() { Warning = 70, Critical = 90, Unit = "%" },
        [ErrorRate] = new() { Warning = 5, Critical = 10, Unit = "%" },
        [CacheHitRate] = new() { Warning = 80, Critical = 60, LowerIsWorse = true, Unit = "%", For = TimeSpan.FromMinutes(5) },
        [SlowQueryCount] = new() { Warning = 10, Critical = 50, Unit = "/min" },
        [ServerConnectionUsage] = new() { Warning = 80, Critical = 95, Unit = "%" },
        [TransactionAge] = new() { Warning = 120, Critical = 600, Unit = "s", For = TimeSpan.Zero },
        [BlockedSessions] = new() { Warning = 1, Critical = 10, Unit = "sessions" },
        [Deadlocks] = new() { Warning = 1, Critical = 10, Unit = "/interval", For = TimeSpan.Zero, Hysteresis = 0 },
        [DeadTupleRatio] = new() { Warning = 20, Critical = 50, Unit = "%", For = TimeSpan.Zero },
        [ReplicationLag] = new() { Warning = 30, Critical = 300, Unit = "s" },
        [Wraparound] = new() { Warning = 500_000_000, Critical = 1_500_000_000, Unit = "xids", For = TimeSpan.Zero, Hysteresis = 0.01 },
    };
}

/// <summary>A figure an alert is evaluated on, with the subject it concerns (a table, a replica) and the evidence.</summary>
public sealed record AlertInput(double Value, string? Subject = null, IReadOnlyDictionary<string, object?>? Evidence = null);

/// <summary>An alert that is pending (beyond its threshold, waiting for its "for" duration) or firing.</summary>
public sealed record Alert(
    string Name,
    HealthLevel Severity,
    string State,
    double Value,
    double Threshold,
    string Unit,
    string? Subject,
    DateTimeOffset Since,
    string Message,
    IReadOnlyDictionary<string, object?> Evidence);

/// <summary>A change of an alert's state: fired, escalated, downgraded or resolved.</summary>
public sealed record AlertEvent(string Name, HealthLevel From, HealthLevel To, double Value, double Threshold, string Unit, string? Subject, DateTimeOffset At, string Instance)
{
    public string Kind => To == HealthLevel.Healthy ? "resolved" : From == HealthLevel.Healthy ? "fired" : To > From ? "escalated" : "downgraded";
}

/// <summary>
/// Evaluates alert rules over time: "for" durations, hysteresis, state changes reported as events.
/// Not thread-safe; the monitor serializes evaluations.
/// </summary>
public sealed class AlertEngine(IReadOnlyDictionary<string, AlertThreshold> thresholds, string instance)
{
    private readonly Dictionary<string, RuleState> _states = new(StringComparer.Ordinal);

    /// <summary>Pending and firing alerts after the last evaluation, worst first.</summary>
    public IReadOnlyList<Alert> Active { get; private set; } = [];

    /// <summary>
    /// Evaluates the figures at <paramref name="now"/>. Rules without a figure keep their state.
    /// With <paramref name="ignoreFor"/> (a one-shot check) conditions fire at once.
    /// </summary>
    public IReadOnlyList<AlertEvent> Evaluate(IReadOnlyDictionary<string, AlertInput> inputs, DateTimeOffset now, bool ignoreFor = false)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var events = new List<AlertEvent>();
        foreach (var (name, threshold) in thresholds)
        {
            if (!threshold.Enabled || !inputs.TryGetValue(name, out var input) || !double.IsFinite(input.Value))
            {
                continue;
            }

            if (!_states.TryGetValue(name, out var state))
            {
                _states[name] = state = new RuleState();
            }

            state.Input = input;
            var raw = threshold.Classify(input.Value);
            var held = state.Level;
            while (held > HealthLevel.Healthy && !threshold.Holds(input.Value, held))
            {
                held--;
            }

            var target = raw > held ? raw : held;
            if (target > state.Level)
            {
                state.PendingSince ??= now;
                state.PendingLevel = target;
                if (ignoreFor || threshold.For <= TimeSpan.Zero || now - state.PendingSince.Value >= threshold.For)
                {
                    events.Add(new AlertEvent(name, state.Level, target, input.Value, threshold.ThresholdOf(target), threshold.Unit, input.Subject, now, instance));
                    state.Level = target;
                    state.Since ??= now;
                    state.PendingSince = null;
                }
            }
            else
            {
                state.PendingSince = null;
                if (target < state.Level)
                {
                    events.Add(new AlertEvent(name, state.Level, target, input.Value, threshold.ThresholdOf(state.Level), threshold.Unit, input.Subject, now, instance));
                    state.Level = target;
                    if (target == HealthLevel.Healthy)
                    {
                        state.Since = null;
                    }
                }
            }
        }

        Active = _states
            .Where(s => s.Value.Level > HealthLevel.Healthy || s.Value.PendingSince is not null)
            .Select(s => ToAlert(s.Key, thresholds[s.Key], s.Value))
            .OrderByDescending(a => a.State == "firing").ThenByDescending(a => a.Severity).ThenBy(a => a.Name, StringComparer.Ordinal)
            .ToList();
        return events;
    }

    private static Alert ToAlert(string name, AlertThreshold t, RuleState s)
    {
        var firing = s.Level > HealthLevel.Healthy;
        var level = firing ? s.Level : s.PendingLevel;
        var input = s.Input!;
        var threshold = t.ThresholdOf(level);
        var subject = input.Subject is null ? "" : $" ({input.Subject})";
        var message = $"{name}{subject} is {input.Value:0.##}{Spaced(t.Unit)}, {(t.LowerIsWorse ? "below" : "above")} the {level.ToString().ToLowerInvariant()} threshold of {threshold:0.##}{Spaced(t.Unit)}" +
                      (firing ? "" : $"; fires if it lasts {t.For.TotalSeconds:0} s");
        return new Alert(name, level, firing ? "firing" : "pending", Math.Round(input.Value, 3), threshold, t.Unit, input.Subject,
            (firing ? s.Since : s.PendingSince) ?? DateTimeOffset.UtcNow, message, input.Evidence ?? new Dictionary<string, object?>());
    }

    private static string Spaced(string unit) => unit is "" or "%" ? unit : " " + unit;

    private sealed class RuleState
    {
        public HealthLevel Level;
        public HealthLevel PendingLevel;
        public DateTimeOffset? PendingSince;
        public DateTimeOffset? Since;
        public AlertInput? Input;
    }
}
