namespace PgOptimizer.Diagnostics;

/// <summary>Figures of an application cache, per strategy; the cache concern provides them.</summary>
public interface ICacheStatisticsSource
{
    /// <summary>Cumulative counters since start, one per strategy.</summary>
    IReadOnlyList<CacheStrategyCounters> GetCounters();

    /// <summary>
    /// Hits and misses over all strategies since start. A live view reads this several times a
    /// second; a source whose counters are dear to copy (a latency histogram each) answers it from
    /// the counts alone.
    /// </summary>
    CacheTotals GetTotals()
    {
        var all = GetCounters();
        return new CacheTotals(all.Sum(c => c.Hits), all.Sum(c => c.Misses));
    }

    /// <summary>
    /// Other databases whose caches used this cache's shared keys lately (each may then serve the
    /// other's values); empty when none or when the source cannot tell.
    /// </summary>
    IReadOnlyList<string> DatabasesSharingKeyPrefix => [];
}
