namespace PgOptimizer.Monitoring;

/// <summary>
/// Evaluates alert rules over time: "for" durations, hysteresis, state changes reported as events.
/// Not thread-safe; the monitor serializes evaluations.
/// </summary>
internal sealed class AlertEngine(IReadOnlyDictionary<string, AlertThreshold> thresholds, string instance)
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
            .OrderByDescending(a => a.State == AlertState.Firing).ThenByDescending(a => a.Severity).ThenBy(a => a.Name, StringComparer.Ordinal)
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
        return new Alert(name, level, firing ? AlertState.Firing : AlertState.Pending, Math.Round(input.Value, 3), threshold, t.Unit, input.Subject,
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
