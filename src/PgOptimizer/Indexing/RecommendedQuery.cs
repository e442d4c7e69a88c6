namespace PgOptimizer.Indexing;

/// <summary>A query an index recommendation serves, with its generic-plan cost before and after.</summary>
public sealed record RecommendedQuery(long QueryId, string Query, long Calls, double CostBefore, double CostAfter);
