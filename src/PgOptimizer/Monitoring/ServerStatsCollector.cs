using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.Monitoring;

/// <summary>
/// Polls the server's statistics views (pg_stat_database, pg_stat_activity, pg_stat_statements,
/// pg_stat_replication, pg_stat_user_tables, wraparound age, size, Neon's local file cache) and
/// turns two snapshots into rates and deltas for the interval between them. On Neon it can skip
/// polls while the application itself is idle, so monitoring never keeps a compute awake.
/// </summary>
public sealed class ServerStatsCollector(PgConnectionManager connections, IOptions<MonitoringOptions> options)
{
    private readonly object _gate = new();
    private ServerSnapshot? _last;
    private ServerInterval? _lastInterval;
    private long _lastActivityAtPoll = -1;

    /// <summary>True when polls are skipped while the application is idle (Neon by default).</summary>
    public bool PollsOnlyWhenActive => options.Value.PollOnlyWhenActive ?? connections.Primary.Host.IsNeon;

    /// <summary>Takes a snapshot now.</summary>
    public async Task<ServerSnapshot> CaptureAsync(CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var database = await DatabaseAsync(conn, cancellationToken).ConfigureAwait(false);
        var activity = await ActivityAsync(conn, cancellationToken).ConfigureAwait(false);
        var replicas = await ReplicasAsync(conn, cancellationToken).ConfigureAwait(false);
        var tables = await TablesAsync(conn, o.TopTables, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<StatementStatistics> statements;
        try
        {
            statements = await StatementStatisticsReader.ReadAsync(conn, connections.Replicas.Select(r => r.DataSource).ToList(), StatementSelection.Monitoring, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (StatementStatisticsReader.IsUnavailable(ex))
        {
            statements = []; // the other figures do not need pg_stat_statements
        }

        var (wraparound, size, lfc) = await MiscAsync(conn, cancellationToken).ConfigureAwait(false);
        return new ServerSnapshot(DateTimeOffset.UtcNow, database, activity, replicas, tables, statements, wraparound, size, lfc);
    }

    /// <summary>
    /// Takes a snapshot and returns the interval since the previous one (null on the first call,
    /// or when the application has been idle and polls are limited to active periods).
    /// </summary>
    public async Task<ServerInterval?> CollectAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        var activity = connections.Endpoints.Sum(e => e.OperationsStarted);
        if (!force && PollsOnlyWhenActive && activity == Interlocked.Read(ref _lastActivityAtPoll))
        {
            return null; // the application did nothing since the last poll: let the compute sleep
        }

        var current = await CaptureAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _lastActivityAtPoll, connections.Endpoints.Sum(e => e.OperationsStarted));
        ServerSnapshot? previous;
        lock (_gate)
        {
            previous = _last;
            _last = current;
        }

        var interval = previous is null ? null : Compare(previous, current, options.Value.TopStatements);
        if (interval is not null)
        {
            Volatile.Write(ref _lastInterval, interval);
        }

        return interval;
    }

    /// <summary>The latest snapshot taken by <see cref="CollectAsync"/>, if any.</summary>
    public ServerSnapshot? Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    /// <summary>The latest interval computed by <see cref="CollectAsync"/>, if any.</summary>
    public ServerInterval? LastInterval => Volatile.Read(ref _lastInterval);

    /// <summary>The interval between two snapshots. Counters that went down (a stats reset) count from zero.</summary>
    public static ServerInterval Compare(ServerSnapshot previous, ServerSnapshot current, int top = 10)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        var seconds = Math.Max(0.001, (current.At - previous.At).TotalSeconds);
        var p = previous.Database;
        var c = current.Database;
        var reset = c.Commits < p.Commits || c.StatsReset != p.StatsReset;
        long D(long now, long before) => reset ? now : Math.Max(0, now - before);

        var hits = D(c.BlocksHit, p.BlocksHit);
        var reads = D(c.BlocksRead, p.BlocksRead);
        var before = previous.Statements.ToDictionary(s => s.QueryId);
        var statements = current.Statements
            .Select(s =>
            {
                before.TryGetValue(s.QueryId, out var b);
                var calls = b is null || s.Calls < b.Calls ? s.Calls : s.Calls - b.Calls;
                var ms = b is null || s.TotalMs < b.TotalMs ? s.TotalMs : s.TotalMs - b.TotalMs;
                var rows = b is null || s.Rows < b.Rows ? s.Rows : s.Rows - b.Rows;
                return new StatementInterval(s.QueryId, s.Query, calls, Math.Round(ms, 3), calls == 0 ? 0 : Math.Round(ms / calls, 3), rows);
            })
            .Where(s => s.Calls > 0)
            .OrderByDescending(s => s.TotalMs).Take(top).ToList();

        return new ServerInterval(
            previous.At, current.At, Math.Round(seconds, 3),
            Math.Round(D(c.Commits, p.Commits) / seconds, 2),
            Math.Round(D(c.Rollbacks, p.Rollbacks) / seconds, 2),
            hits + reads == 0 ? null : Math.Round((double)hits / (hits + reads), 4),
            D(c.Deadlocks, p.Deadlocks),
            Math.Round(D(c.TempBytes, p.TempBytes) / seconds, 1),
            Math.Round((D(c.RowsInserted, p.RowsInserted) + D(c.RowsUpdated, p.RowsUpdated) + D(c.RowsDeleted, p.RowsDeleted)) / seconds, 2),
            statements, current, reset);
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, string sql) => new(PgOptimizerDiagnostics.SqlMarker + sql, conn);

    private static async Task<DatabaseCounters> DatabaseAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = Command(conn,
            "SELECT xact_commit, xact_rollback, blks_hit, blks_read, deadlocks, temp_files, temp_bytes, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, stats_reset " +
            "FROM pg_stat_database WHERE datname = current_database()");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new DatabaseCounters(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
            r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.IsDBNull(12) ? null : new DateTimeOffset(r.GetDateTime(12), TimeSpan.Zero));
    }

    private static async Task<ConnectionFigures> ActivityAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = Command(conn, """
            SELECT count(*)::int,
                   count(*) FILTER (WHERE state = 'active')::int,
                   count(*) FILTER (WHERE state = 'idle')::int,
                   count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int,
                   count(*) FILTER (WHERE wait_event_type = 'Lock')::int,
                   count(*) FILTER (WHERE cardinality(pg_blocking_pids(pid)) > 0)::int,
                   current_setting('max_connections')::int,
                   extract(epoch FROM max(now() - xact_start))::float8,
                   extract(epoch FROM max(now() - query_start) FILTER (WHERE state = 'active'))::float8
            FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new ConnectionFigures(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6),
            r.IsDBNull(7) ? null : Math.Round(r.GetDouble(7), 3), r.IsDBNull(8) ? null : Math.Round(r.GetDouble(8), 3));
    }

    private static async Task<IReadOnlyList<ReplicaLag>> ReplicasAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var list = new List<ReplicaLag>();
        try
        {
            await using var cmd = Command(conn,
                "SELECT coalesce(application_name, ''), client_addr::text, coalesce(state, ''), coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint, " +
                "extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication");
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var bytes = r.GetInt64(3);
                // replay_lag is NULL once a standby has caught up and nothing is being written.
                double? seconds = r.IsDBNull(4) ? (bytes == 0 ? 0 : null) : Math.Round(r.GetDouble(4), 3);
                list.Add(new ReplicaLag(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), bytes, seconds));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == "55000")
        {
            // a standby itself: no pg_current_wal_lsn(); it has no standbys to report
        }

        return list;
    }

    private static async Task<IReadOnlyList<TableVacuum>> TablesAsync(NpgsqlConnection conn, int top, CancellationToken ct)
    {
        await using var cmd = Command(conn,
            "SELECT schemaname || '.' || relname, n_live_tup, n_dead_tup, n_dead_tup::float8 / greatest(n_live_tup + n_dead_tup, 1), " +
            "extract(epoch FROM now() - greatest(last_vacuum, last_autovacuum))::float8 FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT $1");
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = top });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<TableVacuum>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new TableVacuum(r.GetString(0), r.GetInt64(1), r.GetInt64(2), Math.Round(r.GetDouble(3), 4), r.IsDBNull(4) ? null : Math.Round(r.GetDouble(4), 1)));
        }

        return list;
    }

    private static async Task<(long Wraparound, long Size, double? Lfc)> MiscAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        long wrap, size;
        await using (var cmd = Command(conn, "SELECT max(age(datfrozenxid))::bigint, pg_database_size(current_database()) FROM pg_database"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.ReadAsync(ct).ConfigureAwait(false);
            (wrap, size) = (r.GetInt64(0), r.GetInt64(1));
        }

        double? lfc = null;
        await using (var check = Command(conn, "SELECT to_regclass('neon.neon_stat_file_cache') IS NOT NULL"))
        {
            if ((bool)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                try
                {
                    await using var cmd = Command(conn, "SELECT file_cache_hit_ratio FROM neon.neon_stat_file_cache");
                    var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
                    lfc = v is null or DBNull ? null : Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) / 100.0;
                }
                catch (PostgresException)
                {
                }
            }
        }

        return (wrap, size, lfc);
    }
}
