using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class SeedAndWorkloadCliTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Seed_then_workload_run_report_as_json()
    {
        var env = new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = _db.Connection };
        var seed = await PgoptProcess.RunAsync(env, "seed", "--scale", "0.001", "--seed", "5", "--json");
        Assert.True(seed.ExitCode == 0, seed.All);
        var report = JsonDocument.Parse(seed.Stdout).RootElement;
        Assert.Equal(5, report.GetProperty("seed").GetInt32());
        var tables = report.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!, t => t.GetProperty("rows").GetInt64());
        Assert.Equal(100, tables["users"]);
        Assert.Equal(1000, tables["pitches"]);
        Assert.Equal(5000, tables["analytics_events"]);
        Assert.True(report.GetProperty("elapsed").GetDouble() > 0);

        var run = await PgoptProcess.RunAsync(env, "workload", "run", "--duration", "2s", "--concurrency", "2", "--json");
        Assert.True(run.ExitCode == 0, run.All);
        var result = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.True(result.GetProperty("calls").GetInt64() > 0);
        Assert.Equal(0, result.GetProperty("errors").GetInt64());
        var latency = result.GetProperty("latency");
        Assert.True(latency.GetProperty("p50Ms").GetDouble() <= latency.GetProperty("p99Ms").GetDouble());
    }

    [Fact]
    public async Task Workload_run_without_demo_data_exits_2_and_says_to_seed()
    {
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = _db.Connection }, "workload", "run", "--duration", "1s");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("pgopt seed", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workload_list_shows_operations_and_mix()
    {
        var r = await PgoptProcess.RunAsync(null, "workload", "list", "--json");
        Assert.Equal(0, r.ExitCode);
        var ops = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Contains(ops, o => o.GetProperty("name").GetString() == "login_by_email");
        Assert.Equal(1.0, ops.Sum(o => o.GetProperty("share").GetDouble()), 2);
    }
}
