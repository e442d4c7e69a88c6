namespace PgOptimizer.Caching;

/// <summary>One key to load in a one-off warm-up: where it goes, how to load it, its tags.</summary>
public sealed record CacheWarmupEntry<T>(string Key, string Strategy, Func<CancellationToken, Task<T>> Factory, IReadOnlyList<string>? Tags = null);
