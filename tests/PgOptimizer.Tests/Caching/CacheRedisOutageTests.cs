using PgOptimizer.Caching;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Caching;

[Collection(OutageCollection.Name)]
public sealed class CacheRedisOutageTests
{
    private static readonly TimeSpan RedisTimeout = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task With_redis_stopped_callers_see_no_errors_and_the_cache_recovers_when_it_returns()
    {
        await using var instances = new CacheInstances();
        var a = instances.New(redisTimeout: RedisTimeout);
        var b = instances.New(redisTimeout: RedisTimeout);
        Assert.Equal("before", await a.GetOrSetAsync("k:before", _ => Task.FromResult("before"), CacheStrategies.UserProfile));

        await TestServices.ServicesAsync("stop", "redis");
        try
        {
            // memory tier only: hits from memory, misses run the factory, nothing throws
            Assert.Equal("before", await a.GetOrSetAsync("k:before", _ => Task.FromResult("never"), CacheStrategies.UserProfile));
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal($"v{i}", await a.GetOrSetAsync($"k:{i}", _ => Task.FromResult($"v{i}"), CacheStrategies.UserProfile));
                await a.SetAsync($"s:{i}", i, CacheStrategies.TrendingData);
            }

            await a.InvalidateByTagsAsync(["user:1"]);
            await a.RemoveAsync("k:0", CacheStrategies.UserProfile);
            Assert.False((await b.TryGetAsync<string>("k:5", CacheStrategies.UserProfile)).HasValue);
        }
        finally
        {
            await TestServices.ServicesAsync("start", "redis");
        }

        // back: values written by one instance reach the other through Redis again
        await TestServices.WaitUntilAsync(async () =>
        {
            await a.SetAsync("k:after", "after", CacheStrategies.UserProfile);
            return (await b.TryGetAsync<string>("k:after", CacheStrategies.UserProfile)) is { HasValue: true, Value: "after" };
        }, TimeSpan.FromSeconds(30), "the Redis tier to work again");
    }

    [Fact]
    public async Task What_an_instance_changed_while_redis_was_down_reaches_the_others_once_it_returns()
    {
        await using var instances = new CacheInstances();
        var a = instances.New(redisTimeout: RedisTimeout);
        var b = instances.New(redisTimeout: RedisTimeout);
        // b holds a user's profile in memory
        Assert.Equal("old", await b.GetOrSetAsync("user:1:profile", _ => Task.FromResult("old"), CacheStrategies.UserProfile, ["user:1"]));

        await TestServices.ServicesAsync("stop", "redis");
        try
        {
            // a: the user changed (its invalidation cannot be announced now), a value loaded, one set
            await a.InvalidateByTagsAsync(["user:1"]);
            Assert.Equal("loaded", await a.GetOrSetAsync("user:2:profile", _ => Task.FromResult("loaded"), CacheStrategies.UserProfile));
            await a.SetAsync("trending:now", 42, CacheStrategies.TrendingData);
        }
        finally
        {
            await TestServices.ServicesAsync("start", "redis");
        }

        // FusionCache's auto-recovery replays a's writes and its invalidation once Redis answers:
        // b stops serving the replaced profile and finds a's values in Redis.
        await TestServices.WaitUntilAsync(
            async () => await b.GetOrSetAsync("user:1:profile", _ => Task.FromResult("new"), CacheStrategies.UserProfile, ["user:1"]) == "new"
                && (await b.TryGetAsync<string>("user:2:profile", CacheStrategies.UserProfile)) is { HasValue: true, Value: "loaded" }
                && (await b.TryGetAsync<int>("trending:now", CacheStrategies.TrendingData)) is { HasValue: true, Value: 42 },
            TimeSpan.FromSeconds(30),
            "a's invalidation and writes made while Redis was down to reach b");
    }
}
