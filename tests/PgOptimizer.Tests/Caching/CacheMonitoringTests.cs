using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;
using PgOptimizer.Tests.Monitoring;

namespace PgOptimizer.Tests.Caching;

public sealed class CacheMonitoringTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new();

    public Task InitializeAsync() => _m.InitializeAsync();

    public Task DisposeAsync() => _m.DisposeAsync();

    [Fact]
    public async Task The_cache_figures_reach_health_the_exposition_and_other_instances()
    {
        var prefix = $"pgopt-test-{Guid.NewGuid():N}:";
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        await using var cache = new SmartCache(Options.Create(new CacheOptions { KeyPrefix = prefix }), redis);
        await cache.ConnectRedisAsync();
        var monitoring = Options.Create(new MonitoringOptions { RedisKeyPrefix = prefix, InstanceId = "cache-monitor" });
        using var tracker = new QueryTracker(_m.Connections, monitoring);
        using var monitor = new DatabasePerformanceMonitor(_m.Connections, tracker, new ServerStatsCollector(_m.Connections, monitoring), redis, monitoring, cache: cache);

        for (var i = 0; i < 10; i++)
        {
            await cache.GetOrSetAsync($"user:{i % 2}:profile", _ => Task.FromResult("profile"), CacheStrategies.UserProfile); // 2 misses, 8 hits
        }

        var health = await monitor.GetDatabaseHealthAsync();
        Assert.Equal(new CachePerformance("application", 80, 20, 0), health.Metrics.CachePerformance);

        var text = await monitor.ExportMetricsAsync();
        Assert.Contains("pgopt_cache_hits_total{strategy=\"user_profile\",tier=\"memory\"} 8", text, StringComparison.Ordinal);
        Assert.Contains("pgopt_cache_misses_total{strategy=\"user_profile\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("pgopt_cache_factory_duration_seconds_count{strategy=\"user_profile\"} 2", text, StringComparison.Ordinal);
        await Promtool.CheckAsync(text);

        Assert.True(await monitor.PublishAsync());
        var merged = await monitor.AggregateAsync();
        Assert.Equal(8, merged.Cache.Single(c => c.Strategy == CacheStrategies.UserProfile).MemoryHits);

        // a process without a cache of its own (pgopt health) reports the instances' cache
        var readerOptions = Options.Create(new MonitoringOptions { RedisKeyPrefix = prefix, InstanceId = "reader" });
        using var readerTracker = new QueryTracker(_m.Connections, readerOptions);
        using var reader = new DatabasePerformanceMonitor(_m.Connections, readerTracker, new ServerStatsCollector(_m.Connections, readerOptions), redis, readerOptions);
        var all = await reader.EvaluateAsync(new HealthEvaluation { AllInstances = true });
        Assert.Equal(new CachePerformance("application", 80, 20, 0), all.Metrics.CachePerformance);
    }
    [Fact]
    public async Task Another_databases_cache_on_the_same_keys_becomes_a_recommendation_with_the_fix()
    {
        await using var instances = new CacheInstances();
        var shop = instances.New(o => { o.DatabaseScope = "db1:5432/shop"; o.DatabaseScopeInterval = TimeSpan.FromMilliseconds(200); });
        var monitoring = Options.Create(new MonitoringOptions { RedisKeyPrefix = instances.Prefix, InstanceId = "scope-monitor" });
        using var tracker = new QueryTracker(_m.Connections, monitoring);
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        using var monitor = new DatabasePerformanceMonitor(_m.Connections, tracker, new ServerStatsCollector(_m.Connections, monitoring), redis, monitoring, cache: shop);
        await TestServices.WaitUntilAsync(() => Task.FromResult(shop.ScopeRegistry!.Checks >= 1), TimeSpan.FromSeconds(10), "the first check");
        Assert.DoesNotContain((await monitor.GetDatabaseHealthAsync()).Recommendations, r => r.Message.Contains("another database", StringComparison.Ordinal));

        instances.New(o => { o.DatabaseScope = "ep-preview-1/shop"; o.DatabaseScopeInterval = TimeSpan.FromMilliseconds(200); });
        await TestServices.WaitUntilAsync(() => Task.FromResult(shop.DatabasesSharingKeyPrefix.Count > 0), TimeSpan.FromSeconds(10), "the newcomer seen");
        var advice = Assert.Single((await monitor.GetDatabaseHealthAsync()).Recommendations, r => r.Message.Contains("another database", StringComparison.Ordinal));
        Assert.Equal(HealthLevel.Warning, advice.Severity);
        Assert.Contains("ep-preview-1/shop", advice.Message, StringComparison.Ordinal);
        Assert.Contains("Caching:KeyPrefix", advice.Action, StringComparison.Ordinal);
    }
}
