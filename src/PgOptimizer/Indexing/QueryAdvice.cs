namespace PgOptimizer.Indexing;

/// <summary>What the advisor concluded about one query.</summary>
public sealed record QueryAdvice(long QueryId, string Query, long Calls, double TotalMs, QueryVerdict Verdict, string Reason);
