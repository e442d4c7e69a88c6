using System.Diagnostics;
using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Cli;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Reliability;

/// <summary>With Redis down or unreachable, every command and library call answers within its timeout, and says so.</summary>
[Collection(OutageCollection.Name)]
public sealed class RedisDownTests
{
    private const string Refused = "redis://127.0.0.1:1/0";

    [Theory]
    [InlineData(0, "cache", "stats")]
    [InlineData(1, "slow")]
    [InlineData(0, "metrics")]
    [InlineData(0, "doctor")]
    [InlineData(0, "replicas")]
    [InlineData(1, "cache", "invalidate", "--tag", "pitch:1")]
    [InlineData(0, "health", "--interval", "1s")]
    public async Task Every_command_answers_within_three_seconds_and_says_redis_is_not_reachable(int exitCode, params string[] args)
    {
        // the same command with Redis up, for what it takes anyway (process start, server queries, its interval)
        var up = Stopwatch.StartNew();
        await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection, ["REDIS_URL"] = TestServices.RedisUrl }, args);
        up.Stop();

        var env = new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection, ["REDIS_URL"] = Refused };
        var down = Stopwatch.StartNew();
        var r = await PgoptProcess.RunAsync(env, args);
        down.Stop();
        Assert.True(r.ExitCode == exitCode, r.All);
        Assert.True(down.Elapsed - up.Elapsed < TimeSpan.FromSeconds(3), $"{string.Join(' ', args)}: {down.Elapsed.TotalSeconds:F1} s with Redis down, {up.Elapsed.TotalSeconds:F1} s with it up");
        Assert.Contains("127.0.0.1:1", r.All, StringComparison.Ordinal);
        Assert.Contains("not", r.All, StringComparison.OrdinalIgnoreCase); // "not reachable", "not available"
    }

    [Fact]
    public async Task Library_calls_never_wait_longer_than_the_redis_timeout()
    {
        // A call may wait once for Redis (its first connection attempt or one command), never twice:
        // the limit sits below two timeouts, and leaves this shared machine 1.5 s of scheduling noise.
        var timeout = TimeSpan.FromSeconds(2);
        var limit = timeout + TimeSpan.FromMilliseconds(1500);
        // a black-holed address (a connect can only time out) and a refused port
        foreach (var url in new[] { "redis://10.255.255.1:6379/0", Refused })
        {
            await using var m = new ManagedDatabase();
            await m.InitializeAsync();
            await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = url, Timeout = timeout }));
            await using var cache = new SmartCache(Options.Create(new CacheOptions()), redis);
            var monitoring = Options.Create(new MonitoringOptions { InstanceId = "redis-down" });
            using var tracker = new QueryTracker(m.Connections, monitoring);
            using var monitor = new DatabasePerformanceMonitor(m.Connections, tracker, new ServerStatsCollector(m.Connections, monitoring), redis, monitoring);
            // Read-your-writes positions are kept only with a replica to route around, and go to the
            // same unreachable Redis.
            var sessionOptions = new ConnectionOptions { ConnectionString = m.Db.Connection };
            sessionOptions.Replicas.Add(new ReplicaOptions { Name = "replica", ConnectionString = TestServices.ReplicaFor(m.Db.Name, 0) });
            await using var sessions = new PgConnectionManager(Options.Create(sessionOptions), redis: redis);

            async Task Within(string what, Func<Task> call)
            {
                var sw = Stopwatch.StartNew();
                await call();
                Assert.True(sw.Elapsed < limit, $"{what} on {url} took {sw.Elapsed.TotalMilliseconds:F0} ms");
            }

            await Within("GetOrSetAsync", async () => Assert.Equal("v", await cache.GetOrSetAsync("k", _ => Task.FromResult("v"), CacheStrategies.UserProfile)));
            await Within("SetAsync", async () => await cache.SetAsync("k2", "v", CacheStrategies.UserProfile));
            await Within("InvalidateByTagsAsync", async () => await cache.InvalidateByTagsAsync(["user:1"]));
            await Within("RemoveAsync", async () => await cache.RemoveAsync("k", CacheStrategies.UserProfile));
            await Within("PublishAsync", async () => Assert.False(await monitor.PublishAsync()));
            await Within("AggregateAsync", async () => Assert.Equal(1, (await monitor.AggregateAsync()).Instances));
            await Within("GetSlowQueriesAsync", () => monitor.GetSlowQueriesAsync());
            await Within("PingAsync", async () => Assert.Null(await redis.PingAsync()));
            await Within("a read-your-writes session", async () =>
            {
                using (PgConnectionManager.BeginSession("user:1"))
                {
                    await sessions.ScalarAsync(DbIntent.Write, "SELECT 1");
                    await sessions.ScalarAsync(DbIntent.Read, "SELECT 1");
                }
            });
        }
    }
}
