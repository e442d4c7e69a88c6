using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Indexing;
using PgOptimizer.Workload;

namespace PgOptimizer.Cost;

/// <summary>
/// The analyses that read the database itself: indexes and dead tuples priced as storage, each
/// statement's share of the compute bill, and what a plain PostgreSQL's workload would cost on Neon.
/// </summary>
internal static class PostgresCostAnalysis
{
    private const long MinBloatBytes = 8L << 20;

    /// <summary>Unused, duplicate, redundant and invalid indexes (the index health checks) and tables with many dead tuples, in dollars of storage.</summary>
    public static async Task<List<CostAction>> StorageAsync(IndexManager indexes, NpgsqlDataSource primary, NeonPricePlan prices, CancellationToken ct)
    {
        var actions = new List<CostAction>();
        var health = await indexes.PerformIndexHealthCheckAsync(ct).ConfigureAwait(false);
        foreach (var f in health.Findings.Where(f => f.Index is not null && f.Fix is not null
                     && (f.Kind is IndexFindingKind.Duplicate or IndexFindingKind.Redundant or IndexFindingKind.Invalid
                         || (f.Kind == IndexFindingKind.Unused && f.Level == HealthLevel.Warning))))
        {
            var bytes = f.Evidence.TryGetValue("sizeBytes", out var v) && v is long l ? l : 0;
            var saving = NeonCostAnalyzer.Round(bytes / prices.BytesPerGb * prices.StorageGbMonth);
            actions.Add(new CostAction($"drop-index:{f.Index}", CostCategory.Storage, $"Drop the {f.Kind.ToString().ToLowerInvariant()} index {f.Index}", $"{f.Table}.{f.Index}",
                $"{f.Detail}. Every write also maintains it (WAL, compute).", saving, 10, false, null, f.Fix,
                $"CREATE INDEX CONCURRENTLY again from its definition ({(f.Evidence.TryGetValue("definition", out var d) ? d : "pg_indexes.indexdef")})",
                $"{bytes / prices.BytesPerGb:F4} GB × ${prices.StorageGbMonth}/GB-month = ${saving:F2}",
                new Dictionary<string, object?>(f.Evidence, StringComparer.Ordinal) { ["kind"] = f.Kind.ToString() }));
        }

        await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + """
            SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup, pg_table_size(s.relid) AS bytes, s.last_autovacuum, s.last_vacuum
            FROM pg_stat_user_tables s
            WHERE s.n_dead_tup > 0
            ORDER BY pg_table_size(s.relid) * s.n_dead_tup / GREATEST(s.n_live_tup + s.n_dead_tup, 1) DESC
            LIMIT 20
            """, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (schema, table, live, dead, bytes) = (r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
            var ratio = dead / (double)Math.Max(live + dead, 1);
            var deadBytes = (long)(bytes * ratio);
            if (deadBytes < MinBloatBytes || ratio < 0.2)
            {
                continue;
            }

            var saving = NeonCostAnalyzer.Round(deadBytes / prices.BytesPerGb * prices.StorageGbMonth);
            var name = PgIdentifier.Quote(schema, table);
            actions.Add(new CostAction($"bloat:{schema}.{table}", CostCategory.Storage, $"Reclaim the dead rows of {schema}.{table}", $"{schema}.{table}",
                $"{ratio:P0} of its rows are dead ({dead:N0} of {live + dead:N0}), about {deadBytes / 1e6:F1} MB of its {bytes / 1e6:F1} MB. VACUUM makes the space reusable; only VACUUM FULL (an ACCESS EXCLUSIVE lock while it runs) or pg_repack gives it back. Check why autovacuum fell behind (last autovacuum {(r.IsDBNull(5) ? "never" : r.GetDateTime(5).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))}).",
                saving, 30, false, null, $"VACUUM (FULL, ANALYZE) {name};", "nothing to undo", $"{deadBytes / prices.BytesPerGb:F4} GB × ${prices.StorageGbMonth}/GB-month = ${saving:F2}",
                NeonCostAnalyzer.Ev(("liveTuples", live), ("deadTuples", dead), ("tableBytes", bytes), ("deadBytes", deadBytes), ("deadRatio", Math.Round(ratio, 4)))));
        }

        return actions;
    }

    /// <summary>Every statement's share of execution time on the primary and the replicas, priced as that share of the month's compute; the top ones listed, the rest summed, so the shares add up to 100 %.</summary>
    public static async Task<List<QueryCost>> QueriesAsync(PgConnectionManager connections, decimal monthlyCompute, int top, CancellationToken ct)
    {
        var all = await new StatementStatisticsReader(connections).ReadAsync(new StatementSelection { Top = 100_000 }, ct).ConfigureAwait(false);
        var total = all.Sum(s => s.TotalMs);
        var where = connections.Replicas.Count == 0 ? "primary" : $"primary + {connections.Replicas.Count} replica(s)";
        if (total <= 0)
        {
            return [];
        }

        var list = all.Take(top).Select(s => new QueryCost(s.QueryId, s.Query, where, s.Calls, Math.Round(s.TotalMs, 1), s.TotalMs / total,
            NeonCostAnalyzer.Round(monthlyCompute * (decimal)(s.TotalMs / total)), null, null)).ToList();
        var rest = all.Skip(top).ToList();
        if (rest.Count > 0)
        {
            var ms = rest.Sum(s => s.TotalMs);
            list.Add(new QueryCost(0, $"(the other {rest.Count} statements)", where, rest.Sum(s => s.Calls), Math.Round(ms, 1), ms / total,
                NeonCostAnalyzer.Round(monthlyCompute * (decimal)(ms / total)), null, null));
        }

        return list;
    }

    /// <summary>Adds the index advisor's verdict to the listed statements.</summary>
    public static async Task<List<QueryCost>> AdviseAsync(IndexManager indexes, List<QueryCost> queries, CancellationToken ct)
    {
        var report = await indexes.AdviseAsync(null, ct).ConfigureAwait(false);
        var verdicts = report.Queries.GroupBy(q => q.QueryId).ToDictionary(g => g.Key, g => g.First());
        return queries.Select(q => verdicts.TryGetValue(q.QueryId, out var v) && q.QueryId != 0
            ? q with { Verdict = v.Verdict.ToString(), Advice = v.Reason }
            : q).ToList();
    }

    /// <summary>Local file cache per compute unit, bytes: three quarters of a CU's 4 GiB of memory (Neon's sizing).</summary>
    public const long FileCachePerCu = 3L << 30;

    /// <summary>
    /// On a Neon compute (the <c>neon</c> extension present): the working set
    /// (<c>neon.approximate_working_set_size</c>, pages of 8 KiB) against the local file cache
    /// (<c>neon.file_cache_size_limit</c>) and its hit ratio (<c>neon_stat_file_cache</c>); null elsewhere.
    /// </summary>
    public static async Task<(long WorkingSetBytes, long FileCacheBytes, double? HitRatio)?> WorkingSetAsync(NpgsqlDataSource primary, CancellationToken ct)
    {
        await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT count(*) FROM pg_extension WHERE extname = 'neon'", conn))
        {
            if ((long)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
            {
                return null;
            }
        }

        try
        {
            await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + """
                SELECT neon.approximate_working_set_size(false)::bigint * current_setting('block_size')::bigint,
                       pg_size_bytes(current_setting('neon.file_cache_size_limit')),
                       (SELECT file_cache_hit_ratio FROM neon_stat_file_cache)
                """, conn);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            return (r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : Convert.ToDouble(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture) / 100.0);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.InsufficientPrivilege)
        {
            return null; // an older neon extension
        }
    }

    /// <summary>What the working set means for the compute's size, in a sentence with its dollars.</summary>
    public static string WorkingSetAdvice(long workingSetBytes, long fileCacheBytes, double? hitRatio, NeonEndpoint endpoint, double awakeHoursPerMonth, NeonPricePlan prices)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(prices);
        var ratio = hitRatio is { } h ? $", local file cache hit ratio {h:P1}" : string.Empty;
        var ws = $"working set {workingSetBytes / 1e9:F2} GB against a local file cache of {fileCacheBytes / 1e9:F2} GB{ratio}";
        if (workingSetBytes <= fileCacheBytes)
        {
            return $"{endpoint.Id}: {ws}: it fits; reads are served from the compute, not from Neon's storage.";
        }

        var needed = CostDefaults.ComputeSizes.FirstOrDefault(size => size * FileCachePerCu >= workingSetBytes, CostDefaults.ComputeSizes[^1]);
        if (needed <= endpoint.AutoscalingLimitMinCu)
        {
            return $"{endpoint.Id}: {ws} at the moment's size; at its minimum of {endpoint.AutoscalingLimitMinCu} CU the cache holds {endpoint.AutoscalingLimitMinCu * FileCachePerCu / 1e9:F1} GB, enough.";
        }

        var extra = NeonCostAnalyzer.Round((decimal)((needed - endpoint.AutoscalingLimitMinCu) * awakeHoursPerMonth) * prices.ComputeUnitHour);
        return $"{endpoint.Id}: {ws}: reads miss the cache and go to Neon's storage. Keeping the working set needs about {needed} CU ({FileCachePerCu / (double)(1L << 30):F0} GiB of cache per CU); raising the autoscaling minimum from {endpoint.AutoscalingLimitMinCu} to {needed} CU costs about ${extra:F2} a month ({awakeHoursPerMonth:F0} awake h × {needed - endpoint.AutoscalingLimitMinCu} CU × ${prices.ComputeUnitHour}) and buys latency, not savings.";
    }

    /// <summary>Why a compute does not suspend: its client connections by application, state and how long they have been idle (pg_stat_activity).</summary>
    public static async Task<string> ConnectionsHoldingAwakeAsync(NpgsqlDataSource primary, NeonEndpoint endpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var timeout = endpoint.SuspendTimeoutSeconds is > 0 ? endpoint.SuspendTimeoutSeconds : CostDefaults.ScaleToZeroSeconds;
        await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + """
            SELECT coalesce(nullif(application_name, ''), '(no application_name)'), state, count(*),
                   count(*) FILTER (WHERE state = 'idle' AND now() - state_change > make_interval(secs => $1))
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname IS NOT NULL
            GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter<double> { TypedValue = timeout });
        var parts = new List<string>();
        var idleLong = 0L;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            parts.Add($"{r.GetString(0)}: {r.GetInt64(2)} {(r.IsDBNull(1) ? "?" : r.GetString(1))}");
            idleLong += r.GetInt64(3);
        }

        return parts.Count == 0
            ? $"{endpoint.Id}: no client connection open now; what keeps it awake comes and goes (a cron job, a health check)."
            : $"{endpoint.Id}: client connections now — {string.Join("; ", parts)}; {idleLong} idle longer than {timeout} s. An open connection, even idle, keeps a compute awake: give the pool an idle lifetime below the suspend timeout (Npgsql: Connection Idle Lifetime).";
    }

    /// <summary>What a plain PostgreSQL's measured workload would cost on Neon: execution time per hour as compute units, the database's size as storage.</summary>
    public static async Task<(CostBreakdown Monthly, string Basis)> EstimateAsync(NpgsqlDataSource primary, NeonPricePlan prices, CancellationToken ct)
    {
        await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
        long size;
        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT pg_database_size(current_database())", conn))
        {
            size = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }

        double execSeconds = 0, windowSeconds = 0;
        string source;
        try
        {
            await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + """
                SELECT (SELECT coalesce(sum(total_exec_time), 0) / 1000 FROM pg_stat_statements),
                       extract(epoch FROM now() - greatest((SELECT stats_reset FROM pg_stat_statements_info), pg_postmaster_start_time()))
                """, conn);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            (execSeconds, windowSeconds) = (r.GetDouble(0), (double)r.GetDecimal(1));
            source = $"pg_stat_statements: {execSeconds:F0} s of execution in {windowSeconds / 3600:F1} h";
        }
        catch (PostgresException ex) when (StatementStatisticsReader.IsUnavailable(ex))
        {
            source = "pg_stat_statements not available: compute at the smallest size";
        }

        var averageCu = windowSeconds > 0 ? execSeconds / windowSeconds : 0;
        var cu = CostDefaults.ComputeSizes.First(s => s >= Math.Max(averageCu, 0.25) - 1e-9);
        var compute = NeonCostAnalyzer.Round((decimal)cu * (decimal)CostDefaults.HoursPerMonth * prices.ComputeUnitHour);
        var storage = NeonCostAnalyzer.Round(size / prices.BytesPerGb * prices.StorageGbMonth);
        return (new CostBreakdown(compute, storage, 0, 0, 0),
            $"an estimate: {source} → {averageCu:F3} CU on average → {cu} CU always on × {CostDefaults.HoursPerMonth} h × ${prices.ComputeUnitHour} = ${compute:F2}; database {size / 1e9:F3} GB × ${prices.StorageGbMonth} = ${storage:F2}");
    }
}
