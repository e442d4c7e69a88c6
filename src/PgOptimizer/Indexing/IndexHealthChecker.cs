using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>
/// PgHero's index checks and more: invalid, duplicate and redundant indexes with the DROP that fixes
/// them, unused indexes (scans summed over the primary and every replica, since reads go there),
/// btree bloat estimates that say "unknown" rather than guess, tables read by heavy sequential
/// scans, foreign keys without an index, the workload's index coverage from generic plans, and the
/// index-only scans those plans make on tables whose visibility map says they must read the heap,
/// and tables whose updates are mostly not HOT, with the indexed columns the workload's updates set.
/// </summary>
internal static class IndexHealthChecker
{
    public static async Task<IndexHealthReport> CheckAsync(NpgsqlDataSource primary, IReadOnlyList<NpgsqlDataSource> replicas, IndexingOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(options);
        await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
        var findings = new List<IndexFinding>();
        var live = await IndexInspector.ReadAsync(conn, null, ct).ConfigureAwait(false);

        foreach (var l in live.Where(l => !l.Valid))
        {
            findings.Add(new IndexFinding(IndexFindingKind.Invalid, HealthLevel.Critical, l.QualifiedTable, l.Name,
                "INVALID (a failed CREATE INDEX CONCURRENTLY): it is maintained on every write but never used",
                Ev(("sizeBytes", l.SizeBytes)), IndexDdl.DropConcurrently(l.Schema, l.Name) + ";"));
        }

        findings.AddRange(DuplicatesAndRedundant(live.Where(l => l.Valid).ToList()));
        var statsSince = await StatsSinceAsync(conn, ct).ConfigureAwait(false);
        findings.AddRange(await UnusedAsync(conn, replicas, live, options, statsSince, ct).ConfigureAwait(false));
        findings.AddRange(await SequentialScansAsync(conn, options, ct).ConfigureAwait(false));
        findings.AddRange(await UnindexedForeignKeysAsync(conn, live, ct).ConfigureAwait(false));
        var bloat = await BloatAsync(conn, ct).ConfigureAwait(false);
        foreach (var b in bloat.Where(b => b.BloatRatio is > 0.5 && b.SizeBytes > options.UnusedMinBytes))
        {
            var schema = b.Table[..b.Table.IndexOf('.', StringComparison.Ordinal)];
            findings.Add(new IndexFinding(IndexFindingKind.Bloat, HealthLevel.Warning, b.Table, b.Index,
                $"about {b.BloatRatio:P0} of the index is empty space ({b.SizeBytes - b.ExpectedBytes} of {b.SizeBytes} bytes)",
                Ev(("sizeBytes", b.SizeBytes), ("expectedBytes", b.ExpectedBytes), ("bloatRatio", b.BloatRatio)),
                $"REINDEX INDEX CONCURRENTLY {PgIdentifier.Quote(schema, b.Index)};"));
        }

        IndexCoverage? coverage = null;
        string? coverageUnavailable = null;
        IReadOnlyList<StatementStatistics>? statements = null;
        try
        {
            var indexOnly = new Dictionary<(string Table, string Index), IndexOnlyUse>();
            statements = await StatementStatisticsReader.ReadAsync(conn, replicas, options.WorkloadSelection, ct).ConfigureAwait(false);
            coverage = await CoverageOfAsync(primary, conn, statements, options, ct, indexOnly).ConfigureAwait(false);
            findings.AddRange(await HeapFetchesAsync(conn, indexOnly, options, ct).ConfigureAwait(false));
            if (coverage.Statements > 0 && coverage.ByTime < options.CoverageWarning)
            {
                findings.Add(new IndexFinding(IndexFindingKind.LowCoverage, HealthLevel.Warning, "(workload)", null,
                    $"{coverage.ByTime:P1} of the workload's time ({coverage.ByCalls:P1} of calls) runs on plans without sequential scans of large tables",
                    Ev(("coverageByTime", coverage.ByTime), ("coverageByCalls", coverage.ByCalls), ("uncoveredStatements", coverage.Uncovered.Count)),
                    "Run 'pgopt indexes advise' for the indexes that would cover it."));
            }
        }
        catch (PostgresException ex) when (ex.SqlState is "42P01" or "55000" or "42501")
        {
            coverageUnavailable = $"pg_stat_statements is not readable here ({ex.SqlState} {ex.MessageText}); coverage needs it installed, preloaded and readable (pg_read_all_stats).";
        }

        findings.AddRange(await HotUpdates.CheckAsync(conn, statements, options, ct).ConfigureAwait(false));

        var status = findings.Any(f => f.Level == HealthLevel.Critical) ? HealthLevel.Critical
            : findings.Any(f => f.Level == HealthLevel.Warning) ? HealthLevel.Warning
            : HealthLevel.Healthy;
        return new IndexHealthReport(status, statsSince, findings, coverage, bloat, coverageUnavailable);
    }

    private static Dictionary<string, object?> Ev(params (string Key, object? Value)[] items) => items.ToDictionary(i => i.Key, i => i.Value);

    private static string Signature(LiveIndex l, int keyCount) =>
        string.Join("|", l.Keys.Take(keyCount).Select((k, i) => $"{SqlNormalizer.Expression(k)}:{l.Descending[i]}:{l.NullsFirst[i]}:{l.OpClasses[i]}"));

    internal static IEnumerable<IndexFinding> DuplicatesAndRedundant(IReadOnlyList<LiveIndex> live)
    {
        foreach (var group in live.GroupBy(l => (l.QualifiedTable, l.Method, Pred: SqlNormalizer.Expression(l.Predicate))))
        {
            var list = group.ToList();
            var reported = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                for (var j = 0; j < list.Count; j++)
                {
                    if (i == j)
                    {
                        continue;
                    }

                    var a = list[i];
                    var b = list[j];
                    if (reported.Contains(a.Name) || a.IsConstraint || a.Unique)
                    {
                        continue; // never suggest dropping what enforces a constraint or uniqueness
                    }

                    var sameKeys = a.Keys.Count == b.Keys.Count && Signature(a, a.Keys.Count) == Signature(b, b.Keys.Count);
                    var includeSame = a.Include.Select(SqlNormalizer.Expression).OrderBy(x => x, StringComparer.Ordinal)
                        .SequenceEqual(b.Include.Select(SqlNormalizer.Expression).OrderBy(x => x, StringComparer.Ordinal));
                    if (sameKeys && includeSame)
                    {
                        // Exact duplicates: drop the one that is not unique/constraint; between equals, the later name.
                        if (!b.Unique && !b.IsConstraint && string.CompareOrdinal(a.Name, b.Name) < 0)
                        {
                            continue;
                        }

                        reported.Add(a.Name);
                        yield return new IndexFinding(IndexFindingKind.Duplicate, HealthLevel.Warning, a.QualifiedTable, a.Name,
                            $"same definition as {b.Name}", Ev(("duplicateOf", b.Name), ("sizeBytes", a.SizeBytes), ("definition", a.Definition)),
                            IndexDdl.DropConcurrently(a.Schema, a.Name) + ";");
                    }
                    else if (a.Method == "btree" && a.Keys.Count < b.Keys.Count && Signature(a, a.Keys.Count) == Signature(b, a.Keys.Count)
                             && a.Include.All(c => b.Keys.Concat(b.Include).Select(SqlNormalizer.Expression).Contains(SqlNormalizer.Expression(c))))
                    {
                        reported.Add(a.Name);
                        yield return new IndexFinding(IndexFindingKind.Redundant, HealthLevel.Warning, a.QualifiedTable, a.Name,
                            $"its columns ({string.Join(", ", a.Keys)}) lead {b.Name} ({string.Join(", ", b.Keys)}), which serves the same lookups",
                            Ev(("coveredBy", b.Name), ("sizeBytes", a.SizeBytes), ("definition", a.Definition)),
                            IndexDdl.DropConcurrently(a.Schema, a.Name) + ";");
                    }
                }
            }
        }
    }

    private static async Task<DateTimeOffset?> StatsSinceAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT coalesce(stats_reset, pg_postmaster_start_time()) FROM pg_stat_database WHERE datname = current_database()", conn);
        var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DateTime dt ? new DateTimeOffset(dt, TimeSpan.Zero) : null;
    }

    private static async Task<IEnumerable<IndexFinding>> UnusedAsync(NpgsqlConnection conn, IReadOnlyList<NpgsqlDataSource> replicas, IReadOnlyList<LiveIndex> live, IndexingOptions options, DateTimeOffset? since, CancellationToken ct)
    {
        const string sql = Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT schemaname, indexrelname, idx_scan FROM pg_stat_user_indexes";
        var scans = new Dictionary<(string, string), long>();
        async Task Add(NpgsqlConnection c)
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var key = (r.GetString(0), r.GetString(1));
                scans[key] = scans.GetValueOrDefault(key) + r.GetInt64(2);
            }
        }

        await Add(conn).ConfigureAwait(false);
        var replicasRead = 0;
        foreach (var replica in replicas)
        {
            try
            {
                await using var rc = await replica.OpenConnectionAsync(ct).ConfigureAwait(false);
                await Add(rc).ConfigureAwait(false);
                replicasRead++;
            }
            catch (NpgsqlException)
            {
                // an unreachable replica: its scans are unknown, so be careful below
            }
        }

        var allReplicasRead = replicasRead == replicas.Count;
        var window = since is { } t ? DateTimeOffset.UtcNow - t : TimeSpan.Zero;
        var longEnough = window >= options.UnusedMinStatsAge;
        var list = new List<IndexFinding>();
        foreach (var l in live.Where(l => l.Valid && !l.Unique && !l.IsConstraint && l.SizeBytes >= options.UnusedMinBytes))
        {
            if (scans.GetValueOrDefault((l.Schema, l.Name)) == 0)
            {
                list.Add(new IndexFinding(IndexFindingKind.Unused, allReplicasRead && longEnough ? HealthLevel.Warning : HealthLevel.Healthy, l.QualifiedTable, l.Name,
                    $"no scans since {since:yyyy-MM-dd HH:mm} UTC on the primary{(replicas.Count > 0 ? $" and {replicasRead} of {replicas.Count} replica(s)" : string.Empty)}; it costs {l.SizeBytes} bytes and work on every write" +
                    (longEnough ? string.Empty : $" (statistics cover only {window.TotalHours:F1} h: not yet a warning)"),
                    Ev(("scans", 0L), ("statsSince", since), ("statsHours", Math.Round(window.TotalHours, 1)), ("sizeBytes", l.SizeBytes), ("replicasChecked", replicasRead)),
                    IndexDdl.DropConcurrently(l.Schema, l.Name) + ";"));
            }
        }

        return list;
    }

    private static async Task<IEnumerable<IndexFinding>> SequentialScansAsync(NpgsqlConnection conn, IndexingOptions options, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT schemaname, relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup, pg_table_size(relid) FROM pg_stat_user_tables " +
            "WHERE pg_table_size(relid) >= $1 AND seq_scan > 0 AND seq_tup_read / greatest(seq_scan, 1) >= 10000 ORDER BY seq_tup_read DESC", conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.SeqScanMinTableBytes });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<IndexFinding>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (seq, read, idx) = (r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
            list.Add(new IndexFinding(IndexFindingKind.SequentialScans, seq > idx ? HealthLevel.Warning : HealthLevel.Healthy, $"{r.GetString(0)}.{r.GetString(1)}", null,
                $"{seq} sequential scans read {read / Math.Max(seq, 1)} rows each on average ({idx} index scans)",
                Ev(("seqScans", seq), ("rowsRead", read), ("indexScans", idx), ("liveRows", r.GetInt64(5)), ("tableBytes", r.GetInt64(6))),
                "Run 'pgopt indexes advise' to find the index the scanning queries need."));
        }

        return list;
    }

    private static async Task<IEnumerable<IndexFinding>> UnindexedForeignKeysAsync(NpgsqlConnection conn, IReadOnlyList<LiveIndex> live, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT n.nspname, t.relname, c.conname, ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord), " +
            "rt.relname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_class rt ON rt.oid = c.confrelid " +
            "WHERE c.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema')", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<IndexFinding>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (schema, table, name, cols, refTable) = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<string[]>(3), r.GetString(4));
            var covered = live.Any(l => l.Valid && l.Schema == schema && l.Table == table && l.Method == "btree" && ServesForeignKey(l.Predicate, cols)
                                        && l.Keys.Count >= cols.Length
                                        && l.Keys.Take(cols.Length).Select(SqlNormalizer.Expression).ToHashSet().SetEquals(cols.Select(SqlNormalizer.Expression)));
            if (!covered)
            {
                var indexName = $"idx_{table}_{string.Join("_", cols)}";
                list.Add(new IndexFinding(IndexFindingKind.UnindexedForeignKey, HealthLevel.Warning, $"{schema}.{table}", null,
                    $"foreign key {name} ({string.Join(", ", cols)}) → {refTable} has no index: deletes and key updates on {refTable} scan {table}, and joins on it cannot use an index",
                    Ev(("constraint", name), ("columns", cols), ("references", refTable)),
                    $"CREATE INDEX CONCURRENTLY {PgIdentifier.Quote(indexName.Length > 63 ? indexName[..63] : indexName)} ON {PgIdentifier.Quote(schema, table)} ({string.Join(", ", cols.Select(PgIdentifier.Quote))});"));
            }
        }

        return list;
    }

    // A partial index serves the foreign key's lookups (col = $1) when its predicate is only
    // "col IS NOT NULL" for key columns, which every such lookup implies.
    private static bool ServesForeignKey(string? predicate, string[] columns)
    {
        if (predicate is null)
        {
            return true;
        }

        var parts = System.Text.RegularExpressions.Regex.Split(predicate, @"\bAND\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)
            .Select(SqlNormalizer.Expression);
        return parts.All(p => columns.Any(c => p == SqlNormalizer.Expression(c) + "isnotnull"));
    }

    /// <summary>
    /// Estimates btree bloat from pg_stats (expected size = rows × (tuple header + key widths), packed
    /// at the fillfactor, plus the metapage). Unknown when the table has no statistics, its columns have
    /// none, or they are stale (over 20 % of rows changed since the last analyze).
    /// </summary>
    private static async Task<IReadOnlyList<IndexBloat>> BloatAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker + """
            SELECT n.nspname, t.relname, i.relname, pg_relation_size(i.oid), t.reltuples,
                   coalesce((SELECT split_part(o, '=', 2)::int FROM unnest(i.reloptions) o WHERE o LIKE 'fillfactor=%'), 90),
                   (SELECT array_agg(s.avg_width ORDER BY k.ord) FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                      LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname),
                   x.indexprs IS NOT NULL,
                   st.n_mod_since_analyze, coalesce(st.last_analyze, st.last_autoanalyze)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam
            LEFT JOIN pg_stat_user_tables st ON st.relid = t.oid
            WHERE am.amname = 'btree' AND x.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY pg_relation_size(i.oid) DESC LIMIT 200
            """, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<IndexBloat>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (schema, table, index, size, tuples, fill) = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetFloat(4), r.GetInt32(5));
            var widths = r.IsDBNull(6) ? null : r.GetFieldValue<int?[]>(6);
            var hasExpressions = r.GetBoolean(7);
            long? modified = r.IsDBNull(8) ? null : r.GetInt64(8);
            // pg_stats is the proof of an ANALYZE; the activity timestamps reach pg_stat_user_tables
            // only when the analyzing backend flushes its statistics, up to a second later.
            var analyzed = !r.IsDBNull(9) || (widths is not null && widths.All(w => w is not null));
            string? unknown = null;
            if (!analyzed || tuples < 0)
            {
                unknown = "the table has never been analyzed";
            }
            else if (hasExpressions)
            {
                unknown = "expression keys have no column statistics";
            }
            else if (widths is null || widths.Any(w => w is null))
            {
                unknown = "pg_stats has no width for a key column (not readable by this role, or not analyzed)";
            }
            else if (modified is { } m && tuples > 0 && m > tuples * 0.2)
            {
                unknown = $"statistics are stale ({m} rows changed since the last analyze)";
            }

            if (unknown is not null)
            {
                list.Add(new IndexBloat(index, $"{schema}.{table}", size, null, null, unknown));
                continue;
            }

            const int pageSize = 8192, pageHeader = 24, itemId = 4, tupleHeader = 8, maxAlign = 8;
            var keyWidth = widths!.Sum(w => w!.Value);
            var tupleSize = tupleHeader + (keyWidth + maxAlign - 1) / maxAlign * maxAlign + itemId;
            var perPage = Math.Max(1, (int)((pageSize - pageHeader - 16) * (fill / 100.0)) / tupleSize);
            var leafPages = Math.Ceiling(Math.Max(tuples, 1) / perPage);
            var expected = (long)((leafPages * 1.01 + 1) * pageSize); // ~1 % internal pages, + metapage
            var ratio = size <= 0 ? 0 : Math.Max(0, 1.0 - (double)expected / size);
            list.Add(new IndexBloat(index, $"{schema}.{table}", size, expected, Math.Round(ratio, 3), null));
        }

        return list;
    }

    /// <summary>A standby's or slot's horizon this many transactions old is reported as holding VACUUM back (they carry no start time).</summary>
    private const long LongHeldHorizonXids = 1_000_000;

    /// <summary>What holds the oldest snapshot VACUUM must respect: a transaction, a prepared transaction, a standby's feedback or a replication slot.</summary>
    private sealed record HorizonHolder(string Kind, string Who, long XidAge, DateTime? Since);

    /// <summary>
    /// The oldest snapshot holders, at most one of each class: a transaction (or prepared
    /// transaction), which has a start time, and a standby's feedback or a replication slot, which
    /// has none and always lags a little.
    /// </summary>
    private static async Task<List<HorizonHolder>> HorizonHoldersAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker +
            "SELECT DISTINCT ON (remote) kind, who, xid_age, since FROM (" +
            "SELECT false AS remote, 'transaction' AS kind, format('pid %s (%s)', pid, coalesce(nullif(application_name, ''), 'no application name')) AS who, age(backend_xmin)::bigint AS xid_age, xact_start AS since " +
            "FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid() " +
            "UNION ALL SELECT false, 'prepared transaction', gid, age(transaction)::bigint, prepared FROM pg_prepared_xacts " +
            "UNION ALL SELECT true, 'standby', coalesce(nullif(application_name, ''), client_addr::text, 'unnamed'), age(backend_xmin)::bigint, NULL FROM pg_stat_replication WHERE backend_xmin IS NOT NULL " +
            "UNION ALL SELECT true, 'replication slot', slot_name::text, age(xmin)::bigint, NULL FROM pg_replication_slots WHERE xmin IS NOT NULL" +
            ") h ORDER BY remote, xid_age DESC", conn);
        var list = new List<HorizonHolder>();
        try
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new HorizonHolder(r.GetString(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetDateTime(3)));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == "42501")
        {
            // a role that may not read these views: nothing is said about the horizon
        }

        return list;
    }

    /// <summary>
    /// The holder that kept the last vacuum from marking rows: a transaction whose snapshot is older
    /// than that vacuum, else a standby or slot holding a horizon <see cref="LongHeldHorizonXids"/>
    /// transactions old (a little lag is their normal state).
    /// </summary>
    private static HorizonHolder? Blocking(List<HorizonHolder> holders, DateTime? lastVacuum) =>
        holders.FirstOrDefault(h => h.Since is { } since && lastVacuum is { } last && since < last)
        ?? holders.FirstOrDefault(h => h.Since is null && h.XidAge >= LongHeldHorizonXids);

    /// <summary>The statements whose generic plans read one index with an index-only scan.</summary>
    internal sealed class IndexOnlyUse
    {
        public int Statements { get; set; }

        public long Calls { get; set; }
    }

    /// <summary>
    /// Index-only scans the workload plans on tables whose visibility map marks few pages
    /// all-visible: such a scan fetches every row of a page not marked from the table, so the
    /// covering index saves little until VACUUM marks the pages (relallvisible, as of the last
    /// VACUUM or ANALYZE, against relpages).
    /// </summary>
    private static async Task<IEnumerable<IndexFinding>> HeapFetchesAsync(NpgsqlConnection conn, Dictionary<(string Table, string Index), IndexOnlyUse> indexOnly, IndexingOptions options, CancellationToken ct)
    {
        if (indexOnly.Count == 0)
        {
            return [];
        }

        var tables = indexOnly.Keys.Select(k => k.Table).Distinct(StringComparer.Ordinal).ToArray();
        var holders = await HorizonHoldersAsync(conn, ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker +
            "SELECT n.nspname, c.relname, c.relpages, c.relallvisible, pg_table_size(c.oid), greatest(s.last_vacuum, s.last_autovacuum), s.n_ins_since_vacuum, s.n_tup_upd + s.n_tup_del " +
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid " +
            "WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'm') AND pg_table_is_visible(c.oid)", conn);
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tables });
        var list = new List<IndexFinding>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (schema, table, pages, allVisible, bytes) = (r.GetString(0), r.GetString(1), (long)r.GetInt32(2), (long)r.GetInt32(3), r.GetInt64(4));
            if (pages <= 0 || bytes < options.SeqScanMinTableBytes)
            {
                continue; // never vacuumed nor analyzed (nothing known), or too small to matter
            }

            var share = Math.Min(1.0, (double)allVisible / pages);
            if (share >= options.AllVisibleWarning)
            {
                continue;
            }

            DateTime? vacuumed = r.IsDBNull(5) ? null : r.GetDateTime(5);
            long? inserted = r.IsDBNull(6) ? null : r.GetInt64(6);
            long? changed = r.IsDBNull(7) ? null : r.GetInt64(7);
            var blocking = Blocking(holders, vacuumed);
            var cause = blocking is { } h
                ? $"VACUUM marks only rows older than the oldest snapshot still held, and {h.Kind} {h.Who} holds one {h.XidAge} transactions old{(h.Since is { } t ? $" (since {t.ToString("u", System.Globalization.CultureInfo.InvariantCulture)})" : "")}: until it lets go, VACUUM cannot mark the rows written after it"
                : inserted is > 0 && (changed ?? 0) < inserted
                ? "rows inserted since the last vacuum are not marked until autovacuum's insert threshold is reached (autovacuum_vacuum_insert_scale_factor, per table)"
                : changed is > 0
                ? "rows updated or deleted since the last vacuum clear their pages' marks until autovacuum comes by (autovacuum_vacuum_scale_factor, per table)"
                : "no vacuum has marked the pages since their rows were written";
            foreach (var (key, use) in indexOnly.Where(kv => string.Equals(kv.Key.Table, table, StringComparison.Ordinal)).OrderByDescending(kv => kv.Value.Calls))
            {
                list.Add(new IndexFinding(IndexFindingKind.HeapFetches, HealthLevel.Warning, $"{schema}.{table}", key.Index,
                    $"{use.Statements} statement(s) ({use.Calls} calls) plan index-only scans on it, but only {share:P0} of the table's pages are all-visible " +
                    $"({allVisible} of {pages}; last vacuum {(vacuumed is { } v ? v.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "never")}): " +
                    $"the other rows are read from the table. {char.ToUpperInvariant(cause[0])}{cause[1..]}",
                    Ev(("relpages", pages), ("relallvisible", allVisible), ("allVisibleShare", Math.Round(share, 4)), ("tableBytes", bytes),
                        ("statements", use.Statements), ("calls", use.Calls), ("lastVacuum", vacuumed), ("insertedSinceVacuum", inserted),
                        ("horizonHolder", blocking is { } o ? $"{o.Kind} {o.Who}" : null), ("horizonXidAge", blocking?.XidAge)),
                    $"VACUUM (ANALYZE) {PgIdentifier.Quote(schema, table)};"));
            }
        }

        return list;
    }

    /// <summary>
    /// Coverage of the given statements (parameterized SQL with call counts and time): the share whose
    /// generic plans scan no table above <see cref="IndexingOptions.SeqScanMinTableBytes"/> sequentially.
    /// </summary>
    internal static async Task<IndexCoverage> CoverageOfAsync(NpgsqlDataSource primary, NpgsqlConnection conn, IReadOnlyList<StatementStatistics> statements, IndexingOptions options, CancellationToken ct, Dictionary<(string Table, string Index), IndexOnlyUse>? indexOnly = null)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT relname, pg_table_size(relid) FROM pg_stat_user_tables", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                sizes[r.GetString(0)] = r.GetInt64(1);
            }
        }

        await using var explainer = await GenericPlanExplainer.OpenAsync(primary, ct).ConfigureAwait(false);
        long calls = 0, coveredCalls = 0;
        double time = 0, coveredTime = 0;
        var covered = 0;
        var unexplainable = new List<UnexplainedStatement>();
        var uncovered = new List<CoverageStatement>();
        foreach (var s in statements)
        {
            var plan = await explainer.ExplainAsync(s.Query, ct).ConfigureAwait(false);
            if (!plan.Ok)
            {
                unexplainable.Add(new UnexplainedStatement(s.QueryId, s.Query, plan.Error!));
                continue;
            }

            var relations = GenericPlanExplainer.Nodes(plan.Plan)
                .Where(n => n.TryGetProperty("Relation Name", out _))
                .Select(n => n.GetProperty("Relation Name").GetString()!)
                .ToList();
            if (!relations.Any(sizes.ContainsKey))
            {
                continue; // reads no user table (catalog queries of drivers and tools): not the application's workload
            }

            var scanned = GenericPlanExplainer.Nodes(plan.Plan)
                .Where(n => n.GetProperty("Node Type").GetString() == "Seq Scan" && n.TryGetProperty("Relation Name", out _))
                .Select(n => n.GetProperty("Relation Name").GetString()!)
                .Where(t => sizes.GetValueOrDefault(t) >= options.SeqScanMinTableBytes)
                .Distinct(StringComparer.Ordinal).ToList();
            if (indexOnly is not null)
            {
                foreach (var key in GenericPlanExplainer.Nodes(plan.Plan)
                    .Where(n => n.GetProperty("Node Type").GetString() == "Index Only Scan" && n.TryGetProperty("Relation Name", out _) && n.TryGetProperty("Index Name", out _))
                    .Select(n => (n.GetProperty("Relation Name").GetString()!, n.GetProperty("Index Name").GetString()!))
                    .Distinct())
                {
                    if (!indexOnly.TryGetValue(key, out var use))
                    {
                        indexOnly[key] = use = new IndexOnlyUse();
                    }

                    use.Statements++;
                    use.Calls += s.Calls;
                }
            }

            calls += s.Calls;
            time += s.TotalMs;
            if (scanned.Count == 0)
            {
                covered++;
                coveredCalls += s.Calls;
                coveredTime += s.TotalMs;
            }
            else
            {
                uncovered.Add(new CoverageStatement(s.QueryId, s.Query, s.Calls, Math.Round(s.TotalMs, 1), scanned));
            }
        }

        return new IndexCoverage(
            calls == 0 ? 1 : Math.Round((double)coveredCalls / calls, 4),
            time == 0 ? 1 : Math.Round(coveredTime / time, 4),
            covered + uncovered.Count, covered, uncovered, unexplainable);
    }
}
