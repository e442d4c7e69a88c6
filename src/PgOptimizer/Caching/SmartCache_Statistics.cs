using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Caching;

// Statistics: counters per strategy and the keys each strategy holds in Redis.
public sealed partial class SmartCache
{
    /// <summary>
    /// The databases whose caches recorded themselves under this cache's key prefix within the last
    /// hour, with when each was last seen, newest first (see <see cref="DatabasesSharingKeyPrefix"/>);
    /// empty without Redis. One read of a small hash.
    /// </summary>
    public async Task<IReadOnlyList<(string Database, DateTimeOffset LastSeen)>> ReadDatabasesOnKeyPrefixAsync(RedisConnection redis, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        if (await redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false) is not { } db)
        {
            return [];
        }

        return await DatabaseScopeRegistry.ReadRecentAsync(db, KeyPrefix, DateTimeOffset.UtcNow).ConfigureAwait(false) ?? [];
    }

    /// <summary>Keys of each strategy in Redis (SCAN; up to <paramref name="limit"/> per strategy), or null without Redis.</summary>
    public async Task<IReadOnlyDictionary<string, long>?> CountRedisKeysAsync(RedisConnection redis, long limit = 1_000_000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var mux = await redis.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false);
        if (!UsesRedis || mux is not { IsConnected: true })
        {
            return null;
        }

        var server = mux.GetServers().First(s => s.IsConnected);
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in _strategies.Keys)
        {
            long n = 0;
            await foreach (var _ in server.KeysAsync(pattern: $"{KeyPrefix}{name}:*", pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (++n >= limit)
                {
                    break;
                }
            }

            result[name] = n;
        }

        return result;
    }

    /// <summary>Per-strategy counters since start.</summary>
    public IReadOnlyList<CacheStrategyCounters> GetCounters() => _strategies.Values.Select(s => s.Stats.Snapshot()).ToList();

    /// <summary>Hits and misses over all strategies, from the counts alone (no histogram is copied).</summary>
    public CacheTotals GetTotals()
    {
        long hits = 0, misses = 0;
        foreach (var strategy in _strategies.Values)
        {
            var (h, m) = strategy.Stats.Totals();
            hits += h;
            misses += m;
        }

        return new CacheTotals(hits, misses);
    }
}
