using Microsoft.Extensions.Caching.Memory;

namespace PgOptimizer.Caching;

/// <summary>
/// A strategy's memory tier as FusionCache sees it: the <see cref="MemoryCache"/> itself, except that
/// one entry in <see cref="SampleEvery"/> (by an FNV-1a hash of its key) carries a post-eviction
/// callback that counts capacity evictions, each standing for <see cref="SampleEvery"/>.
/// </summary>
/// <remarks>
/// Counting every eviction exactly means a callback on every entry, and
/// <see cref="MemoryCache"/> runs each entry's callbacks as a thread-pool work item whenever the entry
/// leaves — compacted, replaced, removed or expired — so a full tier paid about two work items (and
/// their thread wake-ups) per miss for one counter (FusionCache's eviction event adds one of its own).
/// A sample of the keys gives the same rate at a sixteenth of the cost; FusionCache's tag markers are
/// never evicted for capacity and are not sampled.
/// </remarks>
internal sealed class EvictionSamplingMemoryCache(MemoryCache inner, CacheStrategyStats stats, string tagKeyPrefix) : IMemoryCache
{
    /// <summary>One key in this many carries the eviction callback.</summary>
    public const int SampleEvery = 16;

    private static readonly PostEvictionDelegate OnEvicted = static (_, _, reason, state) =>
    {
        if (reason == EvictionReason.Capacity)
        {
            ((CacheStrategyStats)state!).Eviction(SampleEvery);
        }
    };

    public ICacheEntry CreateEntry(object key)
    {
        var entry = inner.CreateEntry(key);
        if (key is string s && Sampled(s) && !s.StartsWith(tagKeyPrefix, StringComparison.Ordinal))
        {
            entry.RegisterPostEvictionCallback(OnEvicted, stats);
        }

        return entry;
    }

    public bool TryGetValue(object key, out object? value) => inner.TryGetValue(key, out value);

    public void Remove(object key) => inner.Remove(key);

    public void Dispose() => inner.Dispose();

    /// <summary>Whether the key is in the sample: an FNV-1a hash, the same in every process and run.</summary>
    internal static bool Sampled(string key) => KeyHash.InSample(key, SampleEvery);
}
