namespace PgOptimizer.Monitoring;

/// <summary>A figure an alert is evaluated on, with the subject it concerns (a table, a replica) and the evidence.</summary>
public sealed record AlertInput(double Value, string? Subject = null, IReadOnlyDictionary<string, object?>? Evidence = null);
