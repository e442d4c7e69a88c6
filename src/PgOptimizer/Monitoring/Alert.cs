namespace PgOptimizer.Monitoring;

/// <summary>An alert that is pending (beyond its threshold, waiting for its "for" duration) or firing.</summary>
public sealed record Alert(
    string Name,
    HealthLevel Severity,
    AlertState State,
    double Value,
    double Threshold,
    string Unit,
    string? Subject,
    DateTimeOffset Since,
    string Message,
    IReadOnlyDictionary<string, object?> Evidence);
