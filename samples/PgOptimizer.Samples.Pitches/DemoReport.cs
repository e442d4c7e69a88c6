using System.Globalization;
using System.Text;
using PgOptimizer.Hosting;

namespace PgOptimizer.Samples.Pitches;

/// <summary>The demo's result: the setup check, the deployment and the three load tests.</summary>
public sealed record DemoReport(
    double Scale,
    int Concurrency,
    double DurationSeconds,
    int Replicas,
    SeedReport? Seed,
    DoctorReport Doctor,
    DeployReport Deploy,
    DemoPhase Before,
    DemoPhase After,
    DemoPhase Raw)
{
    /// <summary>The Neon project's monthly cost before and after the quick wins, when the demo was given a project.</summary>
    public DemoMonthlyCost? MonthlyCost { get; init; }

    /// <summary>True when the setup was healthy, the deployment succeeded and the optimized run had no errors (the unoptimized run may time out: that is what it measures).</summary>
    public bool Succeeded => Doctor.Healthy && Deploy.Succeeded && After.Errors == 0;

    /// <summary>The measured "Performance Benchmarks" table and the toolkit against plain Npgsql, as Markdown.</summary>
    public string ToMarkdown()
    {
        static string Ms(double v) => v < 0.1
            ? (v * 1000).ToString("0.#", CultureInfo.InvariantCulture) + " µs" // a memory hit's p50 would read "0 ms"
            : v.ToString("0.##", CultureInfo.InvariantCulture) + " ms";
        static string Pct(double? v) => v is { } x ? (x * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %" : "n/a";
        static string Money(decimal v) => v.ToString("$#,##0.00", CultureInfo.InvariantCulture);
        static string Ratio(double b, double a) => b <= 0 ? "" : (a / b).ToString("0.##", CultureInfo.InvariantCulture) + "×";
        static string Us(double? v) => v is { } x ? x.ToString("0.#", CultureInfo.InvariantCulture) + " µs" : "n/a";
        static string UsRatio(double? b, double? a) => b is { } x && a is { } y ? Ratio(x, y) : "";
        var (b, a, r) = (Before, After, Raw);
        var sb = new StringBuilder();
        sb.AppendLine("## Performance Benchmarks (measured)").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Demo data scale {Scale}, {Concurrency} workers, {DurationSeconds:F0} s per run, closed loop, {Replicas} replica(s). Before: no optimization indexes, no cache. After: the index catalog deployed, the two-tier cache on.").AppendLine();
        sb.AppendLine("| Metric | Before | After | Change | Target |");
        sb.AppendLine("|---|---:|---:|---:|---|");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Throughput | {b.Throughput:N0} req/s | {a.Throughput:N0} req/s | {Ratio(b.Throughput, a.Throughput)} | 10k+ RPS |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P50 response time | {Ms(b.Latency.P50Ms)} | {Ms(a.Latency.P50Ms)} | {Ratio(a.Latency.P50Ms, b.Latency.P50Ms)} faster | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P95 response time | {Ms(b.Latency.P95Ms)} | {Ms(a.Latency.P95Ms)} | {Ratio(a.Latency.P95Ms, b.Latency.P95Ms)} faster | < 100 ms |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P99 response time | {Ms(b.Latency.P99Ms)} | {Ms(a.Latency.P99Ms)} | {Ratio(a.Latency.P99Ms, b.Latency.P99Ms)} faster | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Error rate | {Pct(1 - b.SuccessRate)} | {Pct(1 - a.SuccessRate)} | | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Cache hit rate | {Pct(b.CacheHitRate)} | {Pct(a.CacheHitRate)}{(a.IdealCacheHitRate is { } ideal ? $" (ideal cache: {Pct(ideal)}{(a.Result.IdealCacheHitRateWithInvalidation is { } correct ? $", {Pct(correct)} honouring invalidations" : string.Empty)})" : string.Empty)} | | > 85 % |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Index coverage (share of requests) | {Pct(b.IndexCoverage)} | {Pct(a.IndexCoverage)} | | 99 % |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Peak database connections, busy (running a statement or in a transaction) | {b.PeakBusyDatabaseConnections} | {a.PeakBusyDatabaseConnections} | | 50+ → < 20 |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Peak database connections, open (busy + idle in the pools) | {b.PeakDatabaseConnections} | {a.PeakDatabaseConnections} | | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL CPU per request | {Us(b.Cpu?.DatabaseMicrosPerRequest)} | {Us(a.Cpu?.DatabaseMicrosPerRequest)} | {UsRatio(a.Cpu?.DatabaseMicrosPerRequest, b.Cpu?.DatabaseMicrosPerRequest)} less | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Requests | {b.Requests:N0} | {a.Requests:N0} | | |");
        if (MonthlyCost is { } cost)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Monthly cost (Neon project {cost.Project}, {cost.How}) | {Money(cost.Before)} | {Money(cost.After)} | {Ratio((double)cost.After, (double)cost.Before)} lower | $300 → $200 |");
        }
        sb.AppendLine().AppendLine("### The toolkit against plain Npgsql (same run, same indexes, same workers)").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"PgOptimizer: {a.RunsOn}. Raw: {r.RunsOn}.").AppendLine();
        sb.AppendLine("| Metric | PgOptimizer (connection manager + cache) | Raw Npgsql (no cache) | PgOptimizer ÷ raw |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Throughput | {a.Throughput:N0} req/s | {r.Throughput:N0} req/s | {Ratio(r.Throughput, a.Throughput)} |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P95 response time | {Ms(a.Latency.P95Ms)} | {Ms(r.Latency.P95Ms)} | {Ratio(r.Latency.P95Ms, a.Latency.P95Ms)} |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| P99 response time | {Ms(a.Latency.P99Ms)} | {Ms(r.Latency.P99Ms)} | {Ratio(r.Latency.P99Ms, a.Latency.P99Ms)} |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Error rate | {Pct(1 - a.SuccessRate)} | {Pct(1 - r.SuccessRate)} | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Peak database connections, busy / open | {a.PeakBusyDatabaseConnections} / {a.PeakDatabaseConnections} | {r.PeakBusyDatabaseConnections} / {r.PeakDatabaseConnections} | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Cache hit rate | {Pct(a.CacheHitRate)}{(a.IdealCacheHitRateWithInvalidation is { } honoured ? $" (ideal honouring invalidations: {Pct(honoured)})" : string.Empty)} | | |");
        // Where the ratio comes from: the client, server and Redis share the machine's cores.
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Client CPU per request | {Us(a.Cpu?.ClientMicrosPerRequest)} | {Us(r.Cpu?.ClientMicrosPerRequest)} | {UsRatio(r.Cpu?.ClientMicrosPerRequest, a.Cpu?.ClientMicrosPerRequest)} |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL CPU per request | {Us(a.Cpu?.DatabaseMicrosPerRequest)} | {Us(r.Cpu?.DatabaseMicrosPerRequest)} | {UsRatio(r.Cpu?.DatabaseMicrosPerRequest, a.Cpu?.DatabaseMicrosPerRequest)} |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Redis CPU per request | {Us(a.Cpu?.RedisMicrosPerRequest)} | {Us(r.Cpu?.RedisMicrosPerRequest)} | |");
        return sb.ToString();
    }
}

/// <summary>The monthly cost row of the demo's table.</summary>
/// <param name="Project">The Neon project.</param>
/// <param name="Before">The month's cost at the recent rate before the quick wins, dollars.</param>
/// <param name="After">After them, dollars.</param>
/// <param name="How">"quick wins applied, measured by a second report" or "quick wins projected, nothing changed".</param>
public sealed record DemoMonthlyCost(string Project, decimal Before, decimal After, string How);
