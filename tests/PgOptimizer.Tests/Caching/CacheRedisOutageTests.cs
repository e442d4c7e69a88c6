using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Caching;

[Collection(OutageCollection.Name)]
public sealed class CacheRedisOutageTests
{
    [Fact]
    public async Task With_redis_stopped_callers_see_no_errors_and_the_cache_recovers_when_it_returns()
    {
        var prefix = $"pgopt-test-{Guid.NewGuid():N}:";
        var options = Options.Create(new CacheOptions { KeyPrefix = prefix });
        await using var redisA = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl, Timeout = TimeSpan.FromMilliseconds(500) }));
        await using var redisB = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl, Timeout = TimeSpan.FromMilliseconds(500) }));
        await using var a = new SmartCache(options, redisA);
        await using var b = new SmartCache(options, redisB);
        await Task.WhenAll(a.ConnectRedisAsync(), b.ConnectRedisAsync());
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
}
