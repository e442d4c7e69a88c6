using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

/// <summary>pgopt demo end to end at a tiny scale on a database the test names.</summary>
[Collection(MeasurementCollection.Name)]
public sealed class DemoCliTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();
    private readonly string _output = Directory.CreateTempSubdirectory("pgopt-demo-").FullName;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.ExecAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg");
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        Directory.Delete(_output, recursive: true);
    }

    private Dictionary<string, string?> Env => new() { ["PGOPT_CONNECTION"] = _db.Connection };

    [Fact]
    public async Task Demo_asks_before_writing_then_measures_before_after_and_raw()
    {
        string[] args = ["demo", "--scale", "0.002", "--duration", "2s", "--concurrency", "4", "--output", _output, "--json"];

        // A database the user named: without --yes nothing is written.
        var refused = await PgoptProcess.RunAsync(Env, args);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));

        await using var neon = await Cost.NeonDoubleHost.StartAsync(o => o.Now = null); // today: the demo reports as of now
        var env = Env;
        env["NEON_API_KEY"] = neon.Options.ApiKey;
        var run = await PgoptProcess.RunAsync(env, [.. args, "--yes", "--neon-project", PgOptimizer.Samples.NeonApi.NeonFixture.ProjectId, "--neon-api-url", neon.BaseUrl, "--apply-quick-wins"]);
        Assert.True(run.ExitCode == 0, run.All);
        var report = JsonDocument.Parse(run.Stdout).RootElement;
        foreach (var phase in new[] { "before", "after", "raw" })
        {
            var p = report.GetProperty(phase);
            Assert.True(p.GetProperty("requests").GetInt64() > 0, phase);
            Assert.True(p.GetProperty("writesVerified").GetBoolean(), phase);
            var l = p.GetProperty("latency");
            Assert.True(l.GetProperty("p50Ms").GetDouble() <= l.GetProperty("p95Ms").GetDouble() && l.GetProperty("p95Ms").GetDouble() <= l.GetProperty("p99Ms").GetDouble(), phase);
            Assert.InRange(p.GetProperty("indexCoverage").GetDouble(), 0.0, 1.0);
        }

        Assert.Equal(0, report.GetProperty("after").GetProperty("errors").GetInt64());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("before").GetProperty("cacheHitRate").ValueKind); // cache off before
        Assert.InRange(report.GetProperty("after").GetProperty("cacheHitRate").GetDouble(), 0.01, 1.0);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("raw").GetProperty("cacheHitRate").ValueKind);
        Assert.True(report.GetProperty("deploy").GetProperty("succeeded").GetBoolean());

        // What the demo claims: after (indexes + cache) beats before on throughput and p95 ...
        double Throughput(string phase) => report.GetProperty(phase).GetProperty("throughput").GetDouble();
        double P95(string phase) => report.GetProperty(phase).GetProperty("latency").GetProperty("p95Ms").GetDouble();
        Assert.True(Throughput("after") > Throughput("before"), $"after {Throughput("after"):F0} req/s, before {Throughput("before"):F0} req/s");
        Assert.True(P95("after") < P95("before"), $"after p95 {P95("after"):F2} ms, before {P95("before"):F2} ms");
        // ... and the toolkit keeps up with plain Npgsql on the same indexes. Two-second runs of four
        // workers at this scale (every query well under a millisecond) swing by a fifth between
        // runs on a shared machine: the bound allows that swing (the test runs alone, so no other
        // test's load falls on one phase only), the ratio itself is measured in docs/benchmarks.md.
        Assert.True(Throughput("after") >= 0.75 * Throughput("raw"), $"toolkit {Throughput("after"):F0} req/s, raw {Throughput("raw"):F0} req/s");

        // The catalog was deployed, and the table was written as Markdown and JSON.
        Assert.True(await _db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_pitches_user_status_published'") == 1);
        var markdown = await File.ReadAllTextAsync(Path.Combine(_output, "report.md"));
        Assert.Contains("Performance Benchmarks", markdown, StringComparison.Ordinal);
        Assert.Contains("plain Npgsql", markdown, StringComparison.Ordinal);
        // where the ratio comes from: CPU per request of each part, measured for both executors
        Assert.Matches(@"\| PostgreSQL CPU per request \| [0-9.]+ µs \| [0-9.]+ µs \| [0-9.]+× \|", markdown);
        Assert.Matches(@"\| Client CPU per request \| [0-9.]+ µs \| [0-9.]+ µs \|", markdown);
        var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "report.json"))).RootElement;
        Assert.True(json.GetProperty("after").GetProperty("cpu").GetProperty("clientMicrosPerRequest").GetDouble() > 0);
        Assert.True(json.GetProperty("raw").GetProperty("cpu").GetProperty("databaseMicrosPerRequest").GetDouble() > 0);

        // The spec's Monthly Cost row: the double's project priced again after its quick wins were applied.
        var cost = report.GetProperty("monthlyCost");
        Assert.True(cost.GetProperty("after").GetDecimal() < cost.GetProperty("before").GetDecimal(), cost.ToString());
        Assert.Contains("| Monthly cost (Neon project quiet-river-104857, 4 quick wins applied, priced again) |", markdown, StringComparison.Ordinal);
        Assert.Contains(neon.Calls, c => c.Method == "PATCH");
    }
}
