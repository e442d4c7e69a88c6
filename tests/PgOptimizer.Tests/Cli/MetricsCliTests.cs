using System.Diagnostics;
using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class MetricsCliTests
{
    // an application of its own: CLI load tests running beside it publish as "pgopt", with more pools
    private static readonly string Application = "metrics-" + Guid.NewGuid().ToString("N")[..8];

    private static Dictionary<string, string?> Env => new()
    {
        ["PGOPT_APPLICATION"] = Application,
        ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection,
        ["PGOPT_REPLICA_CONNECTIONS"] = TestServices.ReplicaConnection,
    };

    [Fact]
    public async Task Prometheus_exposition_passes_promtool()
    {
        var r = await PgoptProcess.RunAsync(Env, "metrics", "--interval", "1s");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("pgopt_replica_lag_bytes{replica=\"pgopt_replica\"}", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("# TYPE pgopt_db_commits_total counter", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("pgopt_endpoint_lag_seconds{endpoint=\"replica1\"}", r.Stdout, StringComparison.Ordinal); // the routing lag probe
        Assert.Contains("pgopt_db_cache_hit_ratio ", r.Stdout, StringComparison.Ordinal);
        var password = PgOptimizer.Connections.ConnectionStringParser.Parse(TestServices.PrimaryConnection).Password!;
        Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);

        var psi = new ProcessStartInfo("promtool", ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var promtool = Process.Start(psi)!;
        await promtool.StandardInput.WriteAsync(r.Stdout);
        promtool.StandardInput.Close();
        var problems = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        Assert.True(promtool.ExitCode == 0, problems);
    }

    [Fact]
    public async Task Json_export_has_pools_server_and_interval()
    {
        var r = await PgoptProcess.RunAsync(Env, "metrics", "--format", "json", "--interval", "1s");
        Assert.True(r.ExitCode == 0, r.All);
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(2, doc.GetProperty("pools").GetArrayLength());
        Assert.True(doc.GetProperty("server").GetProperty("connections").GetProperty("maxConnections").GetInt32() > 0);
        Assert.True(doc.GetProperty("interval").GetProperty("seconds").GetDouble() >= 1);
    }

    [Fact]
    public async Task Unknown_format_exits_2()
    {
        var r = await PgoptProcess.RunAsync(Env, "metrics", "--format", "xml");
        Assert.Equal(2, r.ExitCode);
    }
}
