namespace PgOptimizer.Caching;

/// <summary>The defaults of <see cref="CacheOptions"/> and <see cref="CacheStrategy"/>, in one place.</summary>
public static class CacheDefaults
{
    /// <summary>Lifetime of an entry: 5 min.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromMinutes(5);

    /// <summary>Share of the memory tier one strategy may hold: 0.1.</summary>
    public const double MemoryShare = 0.1;

    /// <summary>How long after expiry a stale value may be served when the factory fails: 1 h.</summary>
    public static readonly TimeSpan FailSafeMaxDuration = TimeSpan.FromHours(1);

    /// <summary>After this long a slow factory gives way to a stale value, when one exists: 1 s.</summary>
    public static readonly TimeSpan FactorySoftTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long a null result is cached by a strategy that caches nulls: 10 s.</summary>
    public static readonly TimeSpan NullDuration = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Entries the memory tier holds across all strategies: a tenth of the memory this process may
    /// use (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: the machine's, or the container's
    /// limit) at 4 KB an entry, between 10,000 and 2,000,000 — about 630,000 with 24 GiB, 26,000 in a
    /// 1 GiB container. Like FusionCache and HybridCache, whose memory tiers have no entry limit
    /// unless given one, the tier is meant to hold the whole hot set: a limit below it turns hits
    /// into misses and every insertion into an eviction.
    /// </summary>
    public static readonly long MemoryEntryLimit = Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 10 / 4096, 10_000, 2_000_000);

    /// <summary>Prefix of every Redis key and backplane channel: "pgopt:{application}:cache:".</summary>
    public static string KeyPrefix(string application) => Connections.RedisOptions.KeyPrefix(application, "cache");

    /// <summary>Serialized size from which values of compressing strategies are compressed: 1 KiB.</summary>
    public const int CompressionThreshold = 1024;


    /// <summary>After a Redis failure, how long the cache stops trying it: 2 s.</summary>
    public static readonly TimeSpan DistributedCircuitBreakDuration = TimeSpan.FromSeconds(2);

    /// <summary>NOTIFY channel of the invalidation triggers: "pgopt_cache".</summary>
    public const string Channel = "pgopt_cache";

    /// <summary>Misses in a window over which a strategy measures whether Redis pays: 256.</summary>
    public const int RedisWindow = 256;

    /// <summary>How long misses skip Redis after it did not pay: 1 minute.</summary>
    public static readonly TimeSpan RedisProbeInterval = TimeSpan.FromMinutes(1);

    /// <summary>Warm-up factories run at once: 4.</summary>
    public const int WarmupConcurrency = 4;
}
