using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Workload;

/// <summary>
/// The one reader of pg_stat_statements. Reads routed to replicas are counted on the replicas, so a
/// primary-only view would miss most of a read-heavy application: statements of the primary and
/// every reachable replica are merged by query id. PgOptimizer's own catalog queries (marked with
/// <see cref="PgOptimizerDiagnostics.SqlMarker"/>) are always left out.
/// </summary>
public sealed class StatementStatisticsReader(PgConnectionManager connections)
{
    /// <summary>True for the errors that say pg_stat_statements is missing, not preloaded or not readable.</summary>
    public static bool IsUnavailable(PostgresException exception) =>
        exception?.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.ObjectNotInPrerequisiteState or PostgresErrorCodes.InsufficientPrivilege;

    /// <summary>Reads and merges the statements of the primary and its replicas.</summary>
    /// <exception cref="PostgresException">pg_stat_statements is not installed (42P01), not preloaded (55000) or not readable (42501) on the primary.</exception>
    public async Task<IReadOnlyList<StatementStatistics>> ReadAsync(StatementSelection selection, CancellationToken cancellationToken = default)
    {
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(conn, connections.Replicas.Select(r => r.DataSource).ToList(), selection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads on an open primary connection and on the replicas' data sources.</summary>
    internal static async Task<IReadOnlyList<StatementStatistics>> ReadAsync(
        NpgsqlConnection primary, IReadOnlyList<NpgsqlDataSource> replicas, StatementSelection selection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(selection);
        if (replicas.Count == 0)
        {
            // pg_stat_statements keeps a row per user and nesting level: the same statement may appear twice
            return Merge(await ReadOneAsync(primary, selection, selection.Top, selection.MinCalls, selection.MinTotalMs, ct).ConfigureAwait(false), selection);
        }

        // Per server, the thresholds apply only to the sum: a statement may be small on each server.
        var perServerTop = selection.Top * 4;
        var all = new List<StatementStatistics>(await ReadOneAsync(primary, selection, perServerTop, 1, 0, ct).ConfigureAwait(false));
        foreach (var replica in replicas)
        {
            try
            {
                await using var conn = await replica.OpenConnectionAsync(ct).ConfigureAwait(false);
                all.AddRange(await ReadOneAsync(conn, selection, perServerTop, 1, 0, ct).ConfigureAwait(false));
            }
            catch (NpgsqlException)
            {
                // an unreachable replica contributes nothing
            }
        }

        return Merge(all, selection);
    }

    private static List<StatementStatistics> Merge(IEnumerable<StatementStatistics> all, StatementSelection selection) =>
        all.GroupBy(s => s.QueryId)
            .Select(g => new StatementStatistics(g.Key, g.First().Query, g.Sum(x => x.Calls), g.Sum(x => x.TotalMs), g.Sum(x => x.Rows)))
            .Where(s => s.Calls >= selection.MinCalls && s.TotalMs >= selection.MinTotalMs)
            .OrderByDescending(s => s.TotalMs)
            .Take(selection.Top)
            .ToList();

    private static async Task<IReadOnlyList<StatementStatistics>> ReadOneAsync(
        NpgsqlConnection connection, StatementSelection selection, int top, long minCalls, double minTotalMs, CancellationToken ct)
    {
        var list = new List<StatementStatistics>();
        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + (selection.PlannableOnly ? PlannableSql : AllSql), connection))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = minCalls });
            cmd.Parameters.Add(new NpgsqlParameter<double> { TypedValue = minTotalMs });
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = top });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PgOptimizerDiagnostics.SqlMarker.Trim() });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new StatementStatistics(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetInt64(4)));
            }
        }

        return list;
    }

    private const string AllSql =
        "SELECT queryid, query, calls, total_exec_time, rows FROM pg_stat_statements " +
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL " +
        "AND calls >= $1 AND total_exec_time >= $2 AND position($4 in query) = 0 ORDER BY total_exec_time DESC LIMIT $3";

    private const string PlannableSql =
        "SELECT queryid, query, calls, total_exec_time, rows FROM pg_stat_statements " +
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL " +
        "AND calls >= $1 AND total_exec_time >= $2 AND position($4 in query) = 0 " +
        "AND query !~* '^\\s*(EXPLAIN|PREPARE|EXECUTE|DEALLOCATE|SET|RESET|SHOW|BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|VACUUM|ANALYZE|CREATE|DROP|ALTER|DISCARD|CLOSE|LISTEN|UNLISTEN|NOTIFY|DO|COPY|FETCH|DECLARE|MOVE|CHECKPOINT|LOCK|TRUNCATE|GRANT|REVOKE|COMMENT|REFRESH|REINDEX|CLUSTER|CALL)\\M' " +
        "AND query !~ '^\\s*-- Load' " + // Npgsql's own type-loading queries
        "AND query !~* 'pg_stat_statements|hypopg_' ORDER BY total_exec_time DESC LIMIT $3";
}
