namespace PgOptimizer.Monitoring;

/// <summary>A statement's share of an interval.</summary>
public sealed record StatementInterval(long QueryId, string Query, long Calls, double TotalMs, double MeanMs, long Rows);
