using System.Diagnostics;
using PgOptimizer.Caching;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Caching;

/// <summary>
/// The near cache in front of FusionCache: hits on values this instance loaded, and never a value
/// that an invalidation here or on another instance (real Redis backplane) made stale.
/// </summary>
public sealed class NearCacheTests : IAsyncLifetime
{
    private const string Strategy = CacheStrategies.PitchDetails;
    private readonly CacheInstances _instances = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _instances.DisposeAsync().AsTask();

    private SmartCache NewInstance(Action<CacheOptions>? configure = null) => _instances.New(configure);

    /// <summary>A factory that counts its runs and returns the current value of <paramref name="value"/>.</summary>
    private sealed class Source(string value)
    {
        public string Value = value;
        public int Runs;

        public ValueTask<string> Load(CancellationToken _)
        {
            Interlocked.Increment(ref Runs);
            return ValueTask.FromResult(Value);
        }
    }

    private static ValueTask<string> Get(SmartCache cache, Source source, string key = "pitch:1:details", string tag = "pitch:1") =>
        cache.GetOrSetAsync(key, source, static (s, ct) => s.Load(ct), Strategy, [tag]);

    /// <summary>
    /// How long a change may take to reach Redis or another instance. Seconds at most when the
    /// machine is quiet; the suite's first minute (every class starting, a package being built)
    /// can stall a Redis call up to its 2-s timeout and open the tier's breaker for 2 s more, more
    /// than once. A condition wait: a passing run takes no longer.
    /// </summary>
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(30);

    /// <summary>Reads until the instance serves <paramref name="expected"/> (the change arrives through the backplane).</summary>
    private static Task ServesAsync(SmartCache cache, Source source, string expected, string what) =>
        TestServices.WaitUntilAsync(async () => await Get(cache, source) == expected, Propagation, what);

    [Fact]
    public async Task A_loaded_value_is_served_from_the_near_cache_and_counted_as_a_hit()
    {
        var cache = NewInstance();
        var source = new Source("v1");
        Assert.Equal("v1", await Get(cache, source));
        Assert.Equal(1, cache.NearEntries(Strategy));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("v1", await Get(cache, source));
        }

        Assert.Equal(1, source.Runs);
        var counters = cache.GetCounters().Single(c => c.Strategy == Strategy);
        Assert.Equal(10, counters.MemoryHits);
        Assert.Equal(1, counters.Misses);
        Assert.True((await cache.TryGetAsync<string>("pitch:1:details", Strategy)).HasValue);
    }

    [Fact]
    public async Task Switched_off_it_holds_nothing_and_the_cache_behaves_the_same()
    {
        var cache = NewInstance(o => o.NearCache = false);
        var source = new Source("v1");
        Assert.Equal("v1", await Get(cache, source));
        Assert.Equal("v1", await Get(cache, source));
        Assert.Equal(1, source.Runs);
        Assert.Equal(0, cache.NearEntries(Strategy));
    }

    [Fact]
    public async Task A_tag_invalidated_here_is_reloaded_at_once()
    {
        var cache = NewInstance();
        var source = new Source("v1");
        await Get(cache, source);
        source.Value = "v2";
        await cache.InvalidateByTagsAsync(["pitch:1"]);
        Assert.Equal("v2", await Get(cache, source));
        Assert.Equal(2, source.Runs);
    }

    [Fact]
    public async Task A_read_after_a_tag_invalidation_reloads_without_announcing_an_expiry()
    {
        var cache = NewInstance();
        var source = new Source("v1");
        await Get(cache, source);
        // every message on this test's backplane channels, in the order Redis delivers them
        var messages = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var redis = await TestServices.ConnectRedisAsync();
        await redis.GetSubscriber().SubscribeAsync(
            StackExchange.Redis.RedisChannel.Pattern(_instances.Prefix + "*"),
            (_, message) => messages.Enqueue(System.Text.Encoding.Latin1.GetString((byte[])message!)));
        source.Value = "v2";
        await cache.InvalidateByTagsAsync(["pitch:1"], [Strategy]);
        Assert.Equal("v2", await Get(cache, source));
        Assert.Equal(2, source.Runs);
        // A message published after the read: Redis delivers one connection's messages in order, so
        // once it is here, anything the read announced is here too.
        await cache.RemoveAsync("pitch:2:details", Strategy);
        await TestServices.WaitUntilAsync(() => Task.FromResult(messages.Any(m => m.Contains("pitch:2:details", StringComparison.Ordinal))),
            Propagation, "the removal on the backplane");
        // The tag's invalidation was announced; FusionCache's own read of the invalidated entry would
        // also expire pitch:1:details on Redis and announce that, awaited on the caller's path.
        Assert.Contains(messages, m => m.Contains("pitch:1", StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("pitch:1:details", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_entry_found_invalidated_is_dropped_so_a_value_from_redis_is_read_from_memory_after()
    {
        var a = NewInstance();
        var b = NewInstance();
        var c = NewInstance();
        var source = new Source("v1");
        Assert.Equal("v1", await Get(a, source));
        source.Value = "v2";
        await b.InvalidateByTagsAsync(["pitch:1"]);
        Assert.Equal("v2", await Get(b, source)); // b loads v2 and writes it to Redis
        // A Redis write that times out is not retried (another instance only misses once more): on a
        // machine so busy that b's write is lost, b writes v2 again, once a second, until c sees it.
        var waited = Stopwatch.StartNew();
        var rewrites = 0;
        await TestServices.WaitUntilAsync(
            async () =>
            {
                if ((await c.TryGetAsync<string>("pitch:1:details", Strategy)) is { HasValue: true, Value: "v2" })
                {
                    return true;
                }

                if (waited.Elapsed > TimeSpan.FromSeconds(5 + rewrites))
                {
                    rewrites++;
                    await b.SetAsync("pitch:1:details", "v2", Strategy, ["pitch:1"]);
                }

                return false;
            },
            Propagation,
            "v2 to reach Redis");
        await ServesAsync(a, source, "v2", "a to take v2 after b's invalidation");
        Assert.Equal(2, source.Runs); // a took b's value from Redis
        // which a's near cache does not hold: its invalidated entry is gone, not left to send every
        // later read to a load
        Assert.Equal(0, a.NearEntries(Strategy));
        Assert.Equal("v2", await Get(a, source));
        Assert.Equal(2, source.Runs);
    }

    [Fact]
    public async Task A_tag_invalidated_on_another_instance_is_not_served_from_the_near_cache()
    {
        var a = NewInstance();
        var b = NewInstance();
        var source = new Source("v1");
        Assert.Equal("v1", await Get(a, source));
        Assert.Equal("v1", await Get(a, source)); // from a's near cache
        source.Value = "v2";
        await b.InvalidateByTagsAsync(["pitch:1"]);
        await ServesAsync(a, source, "v2", "a to reload after b's invalidation");
    }

    [Fact]
    public async Task A_key_removed_or_set_on_another_instance_is_not_served_from_the_near_cache()
    {
        var a = NewInstance();
        var b = NewInstance();
        var source = new Source("v1");
        Assert.Equal("v1", await Get(a, source));
        source.Value = "v2";
        await b.RemoveAsync("pitch:1:details", Strategy);
        await ServesAsync(a, source, "v2", "a to reload after b removed the key");

        await b.SetAsync("pitch:1:details", "v3", Strategy, ["pitch:1"]);
        await ServesAsync(a, source, "v3", "a to serve the value b set");
    }

    [Fact]
    public async Task A_strategy_cleared_on_another_instance_is_not_served_from_the_near_cache()
    {
        var a = NewInstance();
        var b = NewInstance();
        var source = new Source("v1");
        Assert.Equal("v1", await Get(a, source));
        source.Value = "v2";
        await b.ClearStrategyAsync(Strategy);
        await ServesAsync(a, source, "v2", "a to reload after b cleared the strategy");
    }

    [Fact]
    public async Task A_load_that_an_invalidation_overtook_is_not_kept()
    {
        var cache = NewInstance();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loading = cache.GetOrSetAsync("pitch:1:details", async Task<string> (CancellationToken ct) =>
        {
            entered.SetResult();
            await release.Task;
            return "read before the change";
        }, Strategy, ["pitch:1"]).AsTask();
        await entered.Task;
        await cache.InvalidateByTagsAsync(["pitch:1"]); // the change committed while the load ran
        release.SetResult();
        Assert.Equal("read before the change", await loading);
        Assert.Equal(0, cache.NearEntries(Strategy));
    }

    [Fact]
    public async Task A_value_is_served_no_longer_than_the_memory_lifetime_from_its_load()
    {
        var lifetime = TimeSpan.FromMilliseconds(400);
        var cache = NewInstance(o =>
        {
            o.UseRedis = false;
            o.Strategies[Strategy].MemoryDuration = lifetime;
        });
        var source = new Source("v1");
        var loaded = Stopwatch.StartNew();
        await Get(cache, source);
        source.Value = "v2";
        await TestServices.WaitUntilAsync(async () => await Get(cache, source) == "v2", TimeSpan.FromSeconds(10), "the entry to expire");
        Assert.True(loaded.Elapsed >= lifetime, $"reloaded after {loaded.Elapsed.TotalMilliseconds} ms, before its lifetime of {lifetime.TotalMilliseconds} ms");
        Assert.Equal(2, source.Runs);
    }

    [Fact]
    public void Reaching_its_limit_empties_it_and_a_clear_voids_loads_in_flight()
    {
        var near = new NearCache(limit: 3, TimeSpan.FromMinutes(1));
        for (var i = 0; i < 3; i++)
        {
            near.Put($"k{i}", "v", near.Begin($"k{i}", ["t"]));
        }

        Assert.Equal(3, near.Count);
        Assert.True(near.TryGet<string>("k0", out _));
        near.Put("k3", "v", near.Begin("k3", ["t"]));
        Assert.Equal(0, near.Count);
        Assert.False(near.TryGet<string>("k0", out _));

        var inFlight = near.Begin("k4", ["t"]);
        near.Clear();
        near.Put("k4", "v", inFlight);
        Assert.False(near.TryGet<string>("k4", out _));

        var tagged = near.Begin("k5", ["t", "u"]);
        near.Put("k5", "v", tagged);
        Assert.True(near.TryGet<string>("k5", out _));
        near.InvalidateTag("u");
        Assert.False(near.TryGet<string>("k5", out _));

        near.Put("k6", "v", near.Begin("k6", null));
        near.Remove("k6");
        Assert.False(near.TryGet<string>("k6", out _));

        var removedMeanwhile = near.Begin("k7", ["t"]); // a load the key's removal overtakes
        near.Remove("k7");
        near.Put("k7", "v", removedMeanwhile);
        Assert.False(near.TryGet<string>("k7", out _));
        near.Put("k7", "v", near.Begin("k7", ["t"]));
        Assert.True(near.TryGet<string>("k7", out _));
        Assert.False(near.TryGet<int>("k5", out _)); // another type is a miss, not an error
    }

    [Fact]
    public void Version_cells_of_tags_it_no_longer_holds_are_bounded_and_keys_have_none()
    {
        var near = new NearCache(limit: 10, TimeSpan.FromMinutes(1));
        for (var i = 0; i < 1000; i++)
        {
            near.Put($"k{i}", "v", near.Begin($"k{i}", [$"tag{i}"]));
            near.Remove($"k{i}"); // an application that loads, then removes, ever new keys
        }

        Assert.Equal(0, near.Count);
        Assert.InRange(near.Cells, 0, 22);
        near.Put("last", "v", near.Begin("last", ["t"]));
        Assert.True(near.TryGet<string>("last", out _));
    }
}
