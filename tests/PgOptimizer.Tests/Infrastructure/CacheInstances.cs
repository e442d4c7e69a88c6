using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;

namespace PgOptimizer.Tests.Infrastructure;

/// <summary>
/// Cache instances of one test, as separate application instances on the real Redis: a key prefix
/// of their own (no test sees another's keys), disposed together in reverse order.
/// </summary>
public sealed class CacheInstances : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>The Redis key prefix every instance of this test shares.</summary>
    public string Prefix { get; } = $"pgopt-test-{Guid.NewGuid():N}:";

    /// <summary>A new instance, connected to Redis (unless the options turn it off) before it is returned.</summary>
    public SmartCache New(Action<CacheOptions>? configure = null, string? redisUrl = null, TimeSpan? redisTimeout = null)
    {
        var options = new CacheOptions { KeyPrefix = Prefix, CompressionThreshold = 512 };
        configure?.Invoke(options);
        var redis = new RedisConnection(Options.Create(new RedisOptions { Url = redisUrl ?? TestServices.RedisUrl, Timeout = redisTimeout ?? TimeSpan.FromSeconds(2) }));
        var cache = new SmartCache(Options.Create(options), redis);
        cache.ConnectRedisAsync().GetAwaiter().GetResult();
        _owned.Add(redis);
        _owned.Add(cache);
        return cache;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_owned))
        {
            await d.DisposeAsync();
        }
    }
}
