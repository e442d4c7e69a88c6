namespace PgOptimizer.Indexing;

/// <summary>A statement whose generic plan scans a large table sequentially.</summary>
/// <param name="QueryId">pg_stat_statements' query id.</param>
/// <param name="Query">The normalized SQL (or the operation's name in a load test).</param>
/// <param name="Calls">Executions.</param>
/// <param name="TotalMs">Total execution time in milliseconds.</param>
/// <param name="SeqScannedTables">The large tables its plan reads sequentially.</param>
public sealed record CoverageStatement(long QueryId, string Query, long Calls, double TotalMs, IReadOnlyList<string> SeqScannedTables);
