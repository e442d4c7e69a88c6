using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using ZiggyCreatures.Caching.Fusion;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// A miss, the cache's other path: every call asks for a key not cached yet, with one tag, and the
/// factory completes asynchronously (as a database read does). SmartCache.GetOrSetAsync against
/// bare FusionCache's GetOrSetAsync and Microsoft's HybridCache.GetOrCreateAsync, each given the
/// same key and tag, no Redis; the factory called directly is the floor. Each iteration starts
/// with new, empty caches.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15, invocationCount: Keys)]
public class CacheMissBenchmarks
{
    private const int Keys = 4096;
    private static readonly string[] KeyNames = [.. Enumerable.Range(0, Keys).Select(i => $"user:{i}:profile")];
    private static readonly string[][] TagNames = [.. Enumerable.Range(0, Keys).Select(i => new[] { $"user:{i}" })];
    private RedisConnection _redis = null!;
    private SmartCache _smart = null!;
    private FusionCache _fusion = null!;
    private FusionCacheEntryOptions _fusionEntry = null!;
    private ServiceProvider _services = null!;
    private HybridCache _hybrid = null!;
    private HybridCacheEntryOptions _hybridEntry = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _redis = new RedisConnection(Options.Create(new RedisOptions())); // not configured: memory tier only
        _fusionEntry = new FusionCacheEntryOptions { Duration = TimeSpan.FromMinutes(5), IsFailSafeEnabled = true, Size = 1 };
        _hybridEntry = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(5), LocalCacheExpiration = TimeSpan.FromMinutes(5) };
    }

    [IterationSetup]
    public void NewCaches()
    {
        _smart = new SmartCache(Options.Create(new CacheOptions()), _redis);
        _fusion = new FusionCache(new FusionCacheOptions());
        _services = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
        _hybrid = _services.GetRequiredService<HybridCache>();
        _next = 0;
    }

    [IterationCleanup]
    public void DropCaches()
    {
        _smart.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _fusion.Dispose();
        _services.Dispose();
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _redis.DisposeAsync();

    private static async ValueTask<string> LoadAsync(int i)
    {
        await Task.Yield();
        return KeyNames[i];
    }

    [Benchmark(Baseline = true)]
    public ValueTask<string> FactoryAlone() => LoadAsync(_next++);

    [Benchmark]
    public ValueTask<string> BareFusionCache()
    {
        var i = _next++;
        return _fusion.GetOrSetAsync<string>(KeyNames[i], (_, _) => LoadAsync(i).AsTask(), default, _fusionEntry, TagNames[i], CancellationToken.None);
    }

    [Benchmark]
    public ValueTask<string> SmartCacheGetOrSet()
    {
        var i = _next++;
        return _smart.GetOrSetAsync(KeyNames[i], i, static (i, _) => LoadAsync(i), CacheStrategies.UserProfile, TagNames[i]);
    }

    [Benchmark]
    public ValueTask<string> HybridCacheGetOrCreate()
    {
        var i = _next++;
        return _hybrid.GetOrCreateAsync(KeyNames[i], i, static (i, _) => LoadAsync(i), _hybridEntry, TagNames[i]);
    }
}
