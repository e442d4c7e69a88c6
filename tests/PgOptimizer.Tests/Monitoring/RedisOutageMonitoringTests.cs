using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Monitoring;

[Collection(OutageCollection.Name)]
public sealed class RedisOutageMonitoringTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(db => db.ExecAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)"));

    public Task InitializeAsync() => _m.InitializeAsync();

    public Task DisposeAsync() => _m.DisposeAsync();

    [Fact]
    public async Task With_redis_stopped_monitoring_keeps_working_and_catches_up_when_it_returns()
    {
        var options = Options.Create(new MonitoringOptions { InstanceId = "outage", RedisKeyPrefix = $"pgopt-test-{Guid.NewGuid():N}:", SlowQueryThreshold = TimeSpan.FromSeconds(1) });
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl, Timeout = TimeSpan.FromMilliseconds(500) }));
        using var tracker = new QueryTracker(_m.Connections, options);
        using var monitor = new DatabasePerformanceMonitor(_m.Connections, tracker, new ServerStatsCollector(_m.Connections, options), redis, options);
        // the first publish connects (a cold process may take longer than the 500 ms timeout to)
        await TestServices.WaitUntilAsync(async () => await monitor.PublishAsync(), TimeSpan.FromSeconds(10), "the first publish");

        await TestServices.ServicesAsync("stop", "redis");
        try
        {
            await TestServices.WaitUntilAsync(() => Task.FromResult(!redis.IsConnected), TimeSpan.FromSeconds(20), "the client to notice Redis is gone");
            // slow: 1.2 s against a 1 s threshold; the other statement is fast even when a shared
            // machine stalls it for a few hundred milliseconds
            await _m.Connections.ScalarAsync(DbIntent.Write, "SELECT pg_sleep(1.2)");
            await _m.Connections.ScalarAsync(DbIntent.Write, "SELECT id FROM t WHERE id = $1", [1]);

            Assert.False(await monitor.PublishAsync());
            var health = await monitor.GetDatabaseHealthAsync();
            Assert.Equal(2, health.Metrics.QueryPerformance.Calls);
            var all = await monitor.AggregateAsync();
            Assert.Equal(1, all.Instances); // just this one
            Assert.Single(await monitor.GetSlowQueriesAsync()); // from memory
            Assert.Contains("pgopt_slow_queries_total 1", await monitor.ExportMetricsAsync(allInstances: true), StringComparison.Ordinal);
            await monitor.TickAsync();
        }
        finally
        {
            await TestServices.ServicesAsync("start", "redis");
        }

        // the slow query kept while Redis was down reaches the shared stream once it is back
        await TestServices.WaitUntilAsync(async () => await monitor.PublishAsync(), TimeSpan.FromSeconds(30), "publishing to work again");
        var shared = await monitor.GetSlowQueriesAsync();
        Assert.Equal("SELECT pg_sleep(?)", Assert.Single(shared).Sql);
    }
}
