namespace PgOptimizer.Workload;

/// <summary>
/// One normalized statement's cumulative counters from pg_stat_statements (constants replaced by
/// $1, $2, …), summed over the primary and its replicas when read from both.
/// </summary>
/// <param name="QueryId">pg_stat_statements' query id (0 for statements not read from it).</param>
/// <param name="Query">The normalized SQL.</param>
/// <param name="Calls">Executions.</param>
/// <param name="TotalMs">Total execution time in milliseconds.</param>
/// <param name="Rows">Rows returned or affected.</param>
public sealed record StatementStatistics(long QueryId, string Query, long Calls, double TotalMs, long Rows)
{
    /// <summary>Mean execution time in milliseconds (0 before the first call).</summary>
    public double MeanMs => Calls == 0 ? 0 : TotalMs / Calls;
}
