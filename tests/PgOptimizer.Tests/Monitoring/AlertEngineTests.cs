using PgOptimizer.Monitoring;

namespace PgOptimizer.Tests.Monitoring;

public class AlertEngineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, AlertInput> Value(string name, double v) => new() { [name] = new AlertInput(v) };

    [Fact]
    public void Lower_is_worse_thresholds_fire_below_and_clear_above_the_margin()
    {
        var engine = new AlertEngine(AlertNames.Defaults(), "test");
        Assert.Empty(engine.Evaluate(Value(AlertNames.CacheHitRate, 95), T0));
        Assert.Empty(engine.Evaluate(Value(AlertNames.CacheHitRate, 70), T0.AddMinutes(1))); // pending: 5 min "for"
        Assert.Equal(AlertState.Pending, Assert.Single(engine.Active).State);
        var fired = Assert.Single(engine.Evaluate(Value(AlertNames.CacheHitRate, 72), T0.AddMinutes(6)));
        Assert.Equal(("fired", HealthLevel.Warning), (fired.Kind, fired.To));
        Assert.Empty(engine.Evaluate(Value(AlertNames.CacheHitRate, 85), T0.AddMinutes(7))); // 85 < 80 * 1.1: still firing
        var resolved = Assert.Single(engine.Evaluate(Value(AlertNames.CacheHitRate, 90), T0.AddMinutes(8)));
        Assert.Equal("resolved", resolved.Kind);
        Assert.Empty(engine.Active);
    }

    [Fact]
    public void A_condition_that_ends_before_its_for_duration_never_fires()
    {
        var engine = new AlertEngine(AlertNames.Defaults(), "test");
        Assert.Empty(engine.Evaluate(Value(AlertNames.AvgQueryTime, 700), T0));
        Assert.Empty(engine.Evaluate(Value(AlertNames.AvgQueryTime, 20), T0.AddSeconds(30)));
        Assert.Empty(engine.Evaluate(Value(AlertNames.AvgQueryTime, 700), T0.AddSeconds(70))); // the clock restarts
        Assert.Single(engine.Evaluate(Value(AlertNames.AvgQueryTime, 700), T0.AddSeconds(130)));
        Assert.Equal(HealthLevel.Critical, Assert.Single(engine.Active).Severity);
    }

    [Fact]
    public void One_shot_checks_and_zero_for_fire_at_once()
    {
        var engine = new AlertEngine(AlertNames.Defaults(), "test");
        Assert.Single(engine.Evaluate(Value(AlertNames.Deadlocks, 2), T0));
        Assert.Single(engine.Evaluate(Value(AlertNames.ErrorRate, 12), T0, ignoreFor: true));
        Assert.Equal(HealthLevel.Critical, engine.Active.Single(a => a.Name == AlertNames.ErrorRate).Severity);
    }

    [Fact]
    public void Inverted_thresholds_are_refused_with_the_fix()
    {
        var t = new AlertThreshold { Warning = 90, Critical = 70 };
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => new MonitoringOptions { Alerts = { ["x"] = t } }.Validate());
        Assert.Contains("LowerIsWorse", ex.Message, StringComparison.Ordinal);
    }
}
