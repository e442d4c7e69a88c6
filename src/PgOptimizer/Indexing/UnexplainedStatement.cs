namespace PgOptimizer.Indexing;

/// <summary>A statement coverage could not judge: no generic plan could be made for it.</summary>
/// <param name="QueryId">pg_stat_statements' query id.</param>
/// <param name="Query">The normalized SQL.</param>
/// <param name="Reason">Why there is no plan.</param>
public sealed record UnexplainedStatement(long QueryId, string Query, string Reason);
