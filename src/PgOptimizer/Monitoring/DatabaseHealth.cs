namespace PgOptimizer.Monitoring;

/// <summary>
/// The answer of <see cref="DatabasePerformanceMonitor.GetDatabaseHealthAsync"/>: overall level,
/// the figures behind it, alerts and recommendations. Percentages are 0–100 like the alert thresholds.
/// </summary>
public sealed record DatabaseHealth(
    HealthLevel Overall,
    DateTimeOffset At,
    HealthMetrics Metrics,
    IReadOnlyList<Alert> Alerts,
    IReadOnlyList<Recommendation> Recommendations);
