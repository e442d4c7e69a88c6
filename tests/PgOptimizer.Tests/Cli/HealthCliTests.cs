using System.Text.Json;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class HealthCliTests
{
    private static Dictionary<string, string?> Env => new()
    {
        ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection,
        ["PGOPT_REPLICA_CONNECTIONS"] = TestServices.ReplicaConnection,
        ["REDIS_URL"] = TestServices.RedisUrl,
    };

    [Fact]
    public async Task Health_json_has_the_documented_shape_and_server_figures()
    {
        // an application of its own: CLI load tests running beside it publish as "pgopt", with more pools
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?>(Env) { ["PGOPT_APPLICATION"] = "health-" + Guid.NewGuid().ToString("N")[..8] }, "health", "--json", "--interval", "1s");
        Assert.True(r.ExitCode == 0, r.All);
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Contains(doc.GetProperty("overall").GetString(), new[] { "healthy", "warning", "critical" });
        var metrics = doc.GetProperty("metrics");
        Assert.True(metrics.GetProperty("server").GetProperty("maxConnections").GetInt32() > 0);
        Assert.Equal(2, metrics.GetProperty("connectionHealth").GetProperty("pools").GetArrayLength());
        Assert.True(metrics.GetProperty("queryPerformance").GetProperty("instances").GetInt32() >= 1);
        Assert.Contains(metrics.GetProperty("server").GetProperty("replicas").EnumerateArray(), r => r.GetProperty("name").GetString() == "pgopt_replica");
        var password = ConnectionStringParser.Parse(TestServices.PrimaryConnection).Password!;
        Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_fail_on_exits_2()
    {
        var r = await PgoptProcess.RunAsync(Env, "health", "--fail-on", "sometimes");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("warning or critical", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slow_lists_what_an_application_instance_published()
    {
        await using var db = new ManagedDatabase();
        await db.InitializeAsync();
        try
        {
            var marker = "marker_" + Guid.NewGuid().ToString("N")[..10];
            var options = Options.Create(new MonitoringOptions { InstanceId = "cli-slow-" + marker, SlowQueryThreshold = TimeSpan.FromMilliseconds(50) });
            await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl, ApplicationName = "orders-" + marker }));
            using var tracker = new QueryTracker(db.Connections, options);
            using var monitor = new DatabasePerformanceMonitor(db.Connections, tracker, new ServerStatsCollector(db.Connections, options), redis, options);
            await db.Connections.ScalarAsync(DbIntent.Write, $"SELECT pg_sleep(0.06) AS {marker}");
            Assert.True(await monitor.PublishAsync());

            // the CLI reads the keys of the application it is told of
            var r = await PgoptProcess.RunAsync(new Dictionary<string, string?>(Env) { ["PGOPT_APPLICATION"] = "orders-" + marker }, "slow", "--json", "--limit", "1000");
            Assert.True(r.ExitCode == 0, r.All);
            var entry = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().Single(e => e.GetProperty("instance").GetString() == "cli-slow-" + marker);
            Assert.Equal($"SELECT pg_sleep(?) AS {marker}", entry.GetProperty("sql").GetString());

            var noRedis = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection, ["REDIS_URL"] = null }, "slow");
            Assert.Equal(2, noRedis.ExitCode);
            Assert.Contains("REDIS_URL", noRedis.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await db.DisposeAsync();
        }
    }
}
