namespace PgOptimizer.Monitoring;

/// <summary>One slow query: normalized text only, never parameter values.</summary>
public sealed record SlowQuery(DateTimeOffset At, double DurationMs, string StatementId, string Sql, string Endpoint, string? Error, string Instance);
