using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using ZiggyCreatures.Caching.Fusion;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// A memory-tier hit, the cache's hot path: SmartCache.GetOrSetAsync against bare FusionCache's
/// GetOrSetAsync and Microsoft's HybridCache.GetOrCreateAsync, each with a cached static factory
/// and the key already present, no Redis.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
public class CacheHitBenchmarks
{
    private const string Key = "user:42:profile";
    private static readonly Func<CancellationToken, Task<string>> OurFactory = static _ => Task.FromResult("profile of 42");
    private static readonly Func<FusionCacheFactoryExecutionContext<string>, CancellationToken, Task<string>> FusionFactory = static (_, _) => Task.FromResult("profile of 42");
    private static readonly Func<CancellationToken, ValueTask<string>> HybridFactory = static _ => ValueTask.FromResult("profile of 42");
    private RedisConnection _redis = null!;
    private SmartCache _smart = null!;
    private FusionCache _fusion = null!;
    private FusionCacheEntryOptions _fusionEntry = null!;
    private ServiceProvider _services = null!;
    private HybridCache _hybrid = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _redis = new RedisConnection(Options.Create(new RedisOptions())); // not configured: memory tier only
        _smart = new SmartCache(Options.Create(new CacheOptions()), _redis);
        _fusion = new FusionCache(new FusionCacheOptions());
        _fusionEntry = new FusionCacheEntryOptions { Duration = TimeSpan.FromMinutes(5), IsFailSafeEnabled = true };
        _services = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
        _hybrid = _services.GetRequiredService<HybridCache>();

        await _smart.GetOrSetAsync(Key, OurFactory, CacheStrategies.UserProfile);
        await _fusion.GetOrSetAsync(Key, FusionFactory, default, _fusionEntry, null, CancellationToken.None);
        await _hybrid.GetOrCreateAsync(Key, HybridFactory);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _smart.DisposeAsync();
        _fusion.Dispose();
        await _services.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public ValueTask<string> BareFusionCache() => _fusion.GetOrSetAsync(Key, FusionFactory, default, _fusionEntry, null, CancellationToken.None);

    [Benchmark]
    public ValueTask<string> SmartCacheGetOrSet() => _smart.GetOrSetAsync(Key, OurFactory, CacheStrategies.UserProfile);

    [Benchmark]
    public string? BareFusionCacheTryGet() => _fusion.TryGet<string>(Key, _fusionEntry).GetValueOrDefault(null!);

    [Benchmark]
    public ValueTask<string> HybridCacheGetOrCreate() => _hybrid.GetOrCreateAsync(Key, HybridFactory);
}
