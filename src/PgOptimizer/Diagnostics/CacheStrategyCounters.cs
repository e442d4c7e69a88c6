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
            LatencyHistogram.Encode(h));
    }
}
