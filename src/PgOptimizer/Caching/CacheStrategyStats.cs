using PgOptimizer.Diagnostics;

namespace PgOptimizer.Caching;

/// <summary>Live counters of one strategy (lock-free).</summary>
internal sealed class CacheStrategyStats(string strategy)
{
    private long _hits;
    private long _distributedHits;
    private long _misses;
    private long _stale;
    private long _evictions;
    private long _rawBytes;
    private long _storedBytes;
    private long _writes;

    public string Strategy { get; } = strategy;

    public RedisTierGovernor? Governor { get; set; }

    /// <summary>The strategy's settings, reported with the counters (lifetime, fail-safe window).</summary>
    public CacheStrategy? Configured { get; set; }

    public LatencyHistogram FactoryLatency { get; } = new();

    public void Hit() => Interlocked.Increment(ref _hits);

    public void DistributedHit() => Interlocked.Increment(ref _distributedHits);

    public void Miss(long factoryTicks)
    {
        Interlocked.Increment(ref _misses);
        FactoryLatency.RecordTicks(factoryTicks);
    }

    public void Stale() => Interlocked.Increment(ref _stale);

    public void Eviction(long count = 1) => Interlocked.Add(ref _evictions, count);

    public void OnSerialized(int raw, int stored)
    {
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _rawBytes, raw);
        Interlocked.Add(ref _storedBytes, stored);
    }

    /// <summary>Hits (either tier) and misses, without the histogram a <see cref="Snapshot"/> encodes.</summary>
    public (long Hits, long Misses) Totals() => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    public CacheStrategyCounters Snapshot()
    {
        var hits = Interlocked.Read(ref _hits);
        var distributed = Math.Min(hits, Interlocked.Read(ref _distributedHits));
        return new CacheStrategyCounters(
            Strategy, hits - distributed, distributed, Interlocked.Read(ref _misses), Interlocked.Read(ref _stale), Interlocked.Read(ref _evictions),
            Interlocked.Read(ref _writes), Interlocked.Read(ref _rawBytes), Interlocked.Read(ref _storedBytes), FactoryLatency.EncodeSnapshot())
        {
            DurationSeconds = Configured?.Duration.TotalSeconds,
            FailSafeSeconds = Configured?.FailSafeMaxDuration.TotalSeconds,
            CachesNulls = Configured?.CacheNulls ?? false,
            RedisBypassed = Governor?.Bypassing ?? false,
            RedisBypasses = Governor?.Bypasses ?? 0,
            RedisCostMicrosPerMiss = Governor?.CostMicros,
            RedisSavingMicrosPerMiss = Governor?.SavingMicros,
        };
    }
}
