namespace PgOptimizer.Diagnostics;

/// <summary>
/// One cache strategy's cumulative counters: hits in the memory tier and in Redis, misses (factory
/// runs), stale values served by fail-safe, capacity evictions from memory, values written to Redis
/// with their bytes before and after compression, and the factory's latency (encoded HdrHistogram, µs).
/// </summary>
public sealed record CacheStrategyCounters(
    string Strategy, long MemoryHits, long DistributedHits, long Misses, long StaleServed, long Evictions,
    long Writes, long RawBytes, long StoredBytes, string FactoryHistogram)
{
    /// <summary>True while this strategy's misses skip Redis because it cost them more than it saved.</summary>
    public bool RedisBypassed { get; init; }

    /// <summary>Times the strategy's misses were sent past Redis.</summary>
    public long RedisBypasses { get; init; }

    /// <summary>Mean µs a miss spent on Redis beyond its query, in the last window measured (null before one).</summary>
    public double? RedisCostMicrosPerMiss { get; init; }

    /// <summary>Mean µs of queries Redis saved per miss, in the last window measured (null before one).</summary>
    public double? RedisSavingMicrosPerMiss { get; init; }

    /// <summary>The strategy's entry lifetime in seconds (its Duration), as configured on the instance.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>How long after expiry a stale value may be served when the factory fails, in seconds (0: fail-safe off).</summary>
    public double? FailSafeSeconds { get; init; }

    /// <summary>Whether the strategy caches null results (briefly).</summary>
    public bool CachesNulls { get; init; }

    /// <summary>Hits in either tier.</summary>
    public long Hits => MemoryHits + DistributedHits;

    /// <summary>Hits / lookups, or null before any lookup.</summary>
    public double? HitRatio => Hits + Misses == 0 ? null : (double)Hits / (Hits + Misses);

    /// <summary>Stored / raw bytes (below 1 when compression pays).</summary>
    public double? CompressionRatio => RawBytes == 0 ? null : (double)StoredBytes / RawBytes;

    /// <summary>The counters of several instances summed under one strategy name.</summary>
    public static CacheStrategyCounters Sum(string strategy, IEnumerable<CacheStrategyCounters> items)
    {
        var list = items.ToList();
        var h = LatencyHistogram.CreateEmpty();
        list.ForEach(c => h.Add(LatencyHistogram.Decode(c.FactoryHistogram)));
        return new CacheStrategyCounters(strategy, list.Sum(c => c.MemoryHits), list.Sum(c => c.DistributedHits), list.Sum(c => c.Misses),
            list.Sum(c => c.StaleServed), list.Sum(c => c.Evictions), list.Sum(c => c.Writes), list.Sum(c => c.RawBytes), list.Sum(c => c.StoredBytes),
            LatencyHistogram.Encode(h))
        {
            DurationSeconds = list.Select(c => c.DurationSeconds).FirstOrDefault(v => v is not null),
            FailSafeSeconds = list.Select(c => c.FailSafeSeconds).FirstOrDefault(v => v is not null),
            CachesNulls = list.Any(c => c.CachesNulls),
            RedisBypassed = list.Any(c => c.RedisBypassed),
            RedisBypasses = list.Sum(c => c.RedisBypasses),
            RedisCostMicrosPerMiss = list.Select(c => c.RedisCostMicrosPerMiss).Where(v => v is not null).DefaultIfEmpty().Average(),
            RedisSavingMicrosPerMiss = list.Select(c => c.RedisSavingMicrosPerMiss).Where(v => v is not null).DefaultIfEmpty().Average(),
        };
    }
}
