namespace PgOptimizer.Diagnostics;

/// <summary>Figures of an application cache, per strategy; the cache concern provides them.</summary>
public interface ICacheStatisticsSource
{
    /// <summary>Cumulative counters since start, one per strategy.</summary>
    IReadOnlyList<CacheStrategyCounters> GetCounters();
}
