namespace PgOptimizer.Monitoring;

/// <summary>Something to do, with the numbers that show why.</summary>
public sealed record Recommendation(HealthLevel Severity, string Message, IReadOnlyDictionary<string, object?> Evidence, string Action);
