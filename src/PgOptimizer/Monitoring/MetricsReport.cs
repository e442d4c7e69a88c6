namespace PgOptimizer.Monitoring;

/// <summary>Everything one export contains.</summary>
public sealed record MetricsReport(
    ClientSnapshot Client,
    ServerSnapshot? Server,
    ServerInterval? Interval,
    IReadOnlyList<Alert> Alerts,
    HealthLevel? Overall,
    int TopStatements = 10);
