namespace PgOptimizer.Monitoring;

/// <summary>Hit, miss and eviction rates in % of lookups; <see cref="Source"/> says which cache.</summary>
public sealed record CachePerformance(string Source, double? HitRate, double? MissRate, double? EvictionRate);
