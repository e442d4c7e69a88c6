using System.Globalization;
using System.Text;
using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Indexing;
using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Workload;

namespace PgOptimizer.Cli.Commands;

/// <summary>One side of the demo's before/after comparison.</summary>
public sealed record DemoPhase(string Name, LoadTestReport Load, double? CacheHitRate, double? IndexCoverage)
{
    /// <summary>What an ideal cache would have hit on the same requests (each key's first request misses).</summary>
    public double? IdealCacheHitRate { get; init; }
}

/// <summary>The demo's measured "Performance Benchmarks" table, as the specification lays it out.</summary>
internal static class DemoBenchmark
{
    /// <summary>
    /// Back to the unoptimized schema: drops the non-unique, non-primary indexes of the demo's own
    /// tables (the seed creates none; earlier deploys or advice did), so "before" is honest.
    /// </summary>
    public static async Task<int> DropOptimizationIndexesAsync(NpgsqlDataSource primary, CancellationToken ct)
    {
        var names = new List<string>();
        await using (var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false))
        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace " +
            "WHERE n.nspname = 'public' AND t.relname = ANY ($1) AND NOT x.indisprimary AND NOT x.indisunique", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. PitchesDemo.Tables] });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                names.Add(r.GetString(0));
            }
        }

        foreach (var name in names)
        {
            await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var drop = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + $"DROP INDEX CONCURRENTLY IF EXISTS {PgIdentifier.Quote("public", name)}", conn);
            await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        return names.Count;
    }


    public static (long Hits, long Misses) CacheTotals(SmartCache? cache)
    {
        var all = cache?.GetCounters() ?? [];
        return (all.Sum(c => c.Hits), all.Sum(c => c.Misses));
    }

    public static double? HitRate((long Hits, long Misses) before, (long Hits, long Misses) after)
    {
        var hits = after.Hits - before.Hits;
        var misses = after.Misses - before.Misses;
        return hits + misses == 0 ? null : (double)hits / (hits + misses);
    }

    public static string Markdown(DemoPhase before, DemoPhase after, DemoPhase? raw, double scale, string settings)
    {
        static string Ms(double v) => v.ToString("0.##", CultureInfo.InvariantCulture) + " ms";
        static string Pct(double? v) => v is { } x ? (x * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %" : "n/a";
        static string Ratio(double b, double a) => b <= 0 ? "" : (a / b).ToString("0.##", CultureInfo.InvariantCulture) + "×";
        var (b, a) = (before.Load.Run, after.Load.Run);
        var sb = new StringBuilder();
        sb.AppendLine("## Performance Benchmarks (measured)").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Demo data scale {scale}, {settings}. Before: no optimization indexes, no cache. After: the index catalog deployed, the two-tier cache on.").AppendLine();
        sb.AppendLine("| Metric | Before | After | Change | Spec claims |");
        sb.AppendLine("|---|---:|---:|---:|---|");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Throughput | {b.Throughput:N0} req/s | {a.Throughput:N0} req/s | {Ratio(b.Throughput, a.Throughput)} | 10k+ RPS |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P50 response time | {Ms(b.Latency.P50Ms)} | {Ms(a.Latency.P50Ms)} | {Ratio(a.Latency.P50Ms, b.Latency.P50Ms)} faster | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P95 response time | {Ms(b.Latency.P95Ms)} | {Ms(a.Latency.P95Ms)} | {Ratio(a.Latency.P95Ms, b.Latency.P95Ms)} faster | < 100 ms |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P99 response time | {Ms(b.Latency.P99Ms)} | {Ms(a.Latency.P99Ms)} | {Ratio(a.Latency.P99Ms, b.Latency.P99Ms)} faster | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Error rate | {Pct(1 - before.Load.SuccessRate)} | {Pct(1 - after.Load.SuccessRate)} | | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Cache hit rate | {Pct(before.CacheHitRate)} | {Pct(after.CacheHitRate)}{(after.IdealCacheHitRate is { } ideal ? $" (ideal cache: {Pct(ideal)})" : string.Empty)} | | > 85 % |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Index coverage (share of requests) | {Pct(before.IndexCoverage)} | {Pct(after.IndexCoverage)} | | 99 % |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Peak database connections, busy (running a statement or in a transaction) | {before.Load.PeakBusyDatabaseConnections} | {after.Load.PeakBusyDatabaseConnections} | | 50+ → < 20 |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Peak database connections, open (busy + idle in the pools) | {before.Load.PeakDatabaseConnections} | {after.Load.PeakDatabaseConnections} | | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Requests | {b.Calls + b.Errors:N0} | {a.Calls + a.Errors:N0} | | |");
        if (raw is not null)
        {
            var r = raw.Load.Run;
            sb.AppendLine().AppendLine("### The toolkit against plain Npgsql (same run, same indexes, same workers)").AppendLine();
            sb.AppendLine("| Metric | PgOptimizer (connection manager + cache) | Raw Npgsql (no cache) | PgOptimizer ÷ raw |");
            sb.AppendLine("|---|---:|---:|---:|");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Throughput | {a.Throughput:N0} req/s | {r.Throughput:N0} req/s | {Ratio(r.Throughput, a.Throughput)} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| P95 response time | {Ms(a.Latency.P95Ms)} | {Ms(r.Latency.P95Ms)} | {Ratio(r.Latency.P95Ms, a.Latency.P95Ms)} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| P99 response time | {Ms(a.Latency.P99Ms)} | {Ms(r.Latency.P99Ms)} | {Ratio(r.Latency.P99Ms, a.Latency.P99Ms)} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Error rate | {Pct(1 - after.Load.SuccessRate)} | {Pct(1 - raw.Load.SuccessRate)} | |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Peak database connections, busy / open | {after.Load.PeakBusyDatabaseConnections} / {after.Load.PeakDatabaseConnections} | {raw.Load.PeakBusyDatabaseConnections} / {raw.Load.PeakDatabaseConnections} | |");
        }

        return sb.ToString();
    }
}
