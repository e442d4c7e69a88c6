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
