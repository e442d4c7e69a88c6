namespace PgOptimizer.Diagnostics;

/// <summary>Hits and misses of a cache over all its strategies, for the hit rate of an interval.</summary>
/// <param name="Hits">Lookups answered from memory or Redis.</param>
/// <param name="Misses">Lookups that ran the factory.</param>
public readonly record struct CacheTotals(long Hits, long Misses)
{
    /// <summary>Hits / lookups, or null before any lookup.</summary>
    public double? HitRatio => Hits + Misses == 0 ? null : (double)Hits / (Hits + Misses);

    /// <summary>The totals of a source now (zero without one).</summary>
    public static CacheTotals Of(ICacheStatisticsSource? source) => source?.GetTotals() ?? default;

    /// <summary>What happened between <paramref name="before"/> and these totals.</summary>
    public CacheTotals Since(CacheTotals before) => new(Hits - before.Hits, Misses - before.Misses);
}
