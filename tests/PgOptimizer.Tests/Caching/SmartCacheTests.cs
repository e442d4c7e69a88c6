using PgOptimizer.Caching;
using PgOptimizer.Tests.Infrastructure;
using StackExchange.Redis;

namespace PgOptimizer.Tests.Caching;

/// <summary>Two cache instances (as two application instances) on the real Redis.</summary>
public sealed class SmartCacheTests : IAsyncLifetime
{
    private readonly CacheInstances _instances = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _instances.DisposeAsync().AsTask();

    private SmartCache NewInstance(Action<CacheOptions>? configure = null, string? redisUrl = null) => _instances.New(configure, redisUrl);

    private string Prefix => _instances.Prefix;

    private static Func<CancellationToken, Task<string>> Factory(string value, Action? onRun = null) => _ =>
    {
        onRun?.Invoke();
        return Task.FromResult(value);
    };

    [Fact]
    public async Task Capacity_evictions_are_counted_from_a_sample_of_the_keys()
    {
        // 100 entries x the strategy's share 0.25: a memory tier of 25 entries
        var cache = NewInstance(o => { o.UseRedis = false; o.MemoryEntryLimit = 100; });
        var keys = Enumerable.Range(0, 2000).Select(i => $"pitch:{i}:details").ToList();
        foreach (var key in keys)
        {
            await cache.GetOrSetAsync(key, Factory("v"), CacheStrategies.PitchDetails, [key]);
        }

        // each sampled key that left the tier for capacity counts for 16; at most 25 are still in it
        var sampled = keys.Count(EvictionSamplingMemoryCache.Sampled);
        Assert.InRange(sampled, 60, 200);
        long Evictions() => cache.GetCounters().Single(c => c.Strategy == CacheStrategies.PitchDetails).Evictions;
        await TestServices.WaitUntilAsync(() => Task.FromResult(Evictions() >= EvictionSamplingMemoryCache.SampleEvery * (sampled - 25)),
            TimeSpan.FromSeconds(10), "the eviction callbacks (run on the thread pool)");
        Assert.InRange(Evictions(), EvictionSamplingMemoryCache.SampleEvery * (sampled - 25), EvictionSamplingMemoryCache.SampleEvery * sampled);
        Assert.Equal(0, Evictions() % EvictionSamplingMemoryCache.SampleEvery);
    }

    [Fact]
    public async Task Totals_read_from_the_counts_alone_match_the_strategies_counters()
    {
        var cache = NewInstance();
        var key = "totals:" + Guid.NewGuid().ToString("N");
        await cache.GetOrSetAsync(key, Factory("v"), CacheStrategies.PitchDetails, [key]);
        await cache.GetOrSetAsync(key, Factory("v"), CacheStrategies.PitchDetails, [key]);
        await cache.GetOrSetAsync(key, Factory("v"), CacheStrategies.PitchDetails, [key]);
        await cache.GetOrSetAsync(key + ":other", Factory("w"), CacheStrategies.UserProfile, [key]);

        var totals = PgOptimizer.Diagnostics.CacheTotals.Of(cache);
        Assert.Equal(new PgOptimizer.Diagnostics.CacheTotals(2, 2), totals);
        var counters = cache.GetCounters();
        Assert.Equal(counters.Sum(c => c.Hits), totals.Hits);
        Assert.Equal(counters.Sum(c => c.Misses), totals.Misses);
    }

    [Fact]
    public async Task A_tag_invalidated_on_one_instance_is_a_miss_on_the_other()
    {
        var a = NewInstance();
        var b = NewInstance();
        var runsOnB = 0;
        Assert.Equal("v1", await a.GetOrSetAsync("pitch:1:details", Factory("v1"), CacheStrategies.PitchDetails, ["pitch:1"]));
        // a's write reaches Redis in the background
        await TestServices.WaitUntilAsync(async () => (await b.TryGetAsync<string>("pitch:1:details", CacheStrategies.PitchDetails)).HasValue,
            TimeSpan.FromSeconds(10), "the value to reach Redis");
        Assert.Equal("v1", await b.GetOrSetAsync("pitch:1:details", Factory("other", () => runsOnB++), CacheStrategies.PitchDetails, ["pitch:1"]));
        Assert.Equal(0, runsOnB); // b found it in Redis
        Assert.Equal(1, b.GetCounters().Single(c => c.Strategy == CacheStrategies.PitchDetails).DistributedHits);

        await a.InvalidateByTagsAsync(["pitch:1"]);
        await TestServices.WaitUntilAsync(async () => !(await b.TryGetAsync<string>("pitch:1:details", CacheStrategies.PitchDetails)).HasValue,
            TimeSpan.FromSeconds(10), "the invalidation to reach the other instance");
        Assert.Equal("v2", await b.GetOrSetAsync("pitch:1:details", Factory("v2", () => runsOnB++), CacheStrategies.PitchDetails, ["pitch:1"]));
        Assert.Equal(1, runsOnB);
        // b's write reaches Redis in the background; then a reads the new value from there
        await TestServices.WaitUntilAsync(async () => (await a.TryGetAsync<string>("pitch:1:details", CacheStrategies.PitchDetails)) is { HasValue: true, Value: "v2" },
            TimeSpan.FromSeconds(10), "the new value to reach the first instance");
    }

    [Fact]
    public async Task An_invalidation_whose_request_was_cancelled_still_reaches_every_instance()
    {
        // the write committed, then the request was aborted: the invalidation must still happen
        var a = NewInstance();
        var b = NewInstance();
        Assert.Equal("v1", await a.GetOrSetAsync("pitch:7:details", Factory("v1"), CacheStrategies.PitchDetails, ["pitch:7"]));
        Assert.Equal("v1", await b.GetOrSetAsync("pitch:7:details", Factory("v1"), CacheStrategies.PitchDetails, ["pitch:7"]));
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();

        await a.InvalidateByTagsAsync(["pitch:7"], [CacheStrategies.PitchDetails], aborted.Token);

        Assert.Equal("v2", await a.GetOrSetAsync("pitch:7:details", Factory("v2"), CacheStrategies.PitchDetails, ["pitch:7"]));
        await TestServices.WaitUntilAsync(async () => (await b.TryGetAsync<string>("pitch:7:details", CacheStrategies.PitchDetails)) is not { HasValue: true, Value: "v1" },
            TimeSpan.FromSeconds(10), "the invalidation to reach the other instance");
    }

    [Fact]
    public async Task A_null_result_is_not_cached_unless_the_strategy_opts_in_and_then_only_briefly()
    {
        var cache = NewInstance(o => o.Strategies["negative"] = new CacheStrategy { CacheNulls = true, NullDuration = TimeSpan.FromMilliseconds(300) });
        var runs = 0;
        Task<string?> NotFound(CancellationToken _)
        {
            runs++;
            return Task.FromResult<string?>(null);
        }

        Assert.Null(await cache.GetOrSetAsync("pitch:404:details", NotFound, CacheStrategies.PitchDetails));
        Assert.Null(await cache.GetOrSetAsync("pitch:404:details", NotFound, CacheStrategies.PitchDetails));
        Assert.Equal(2, runs); // each read asked the database: an inserted row would be found
        Assert.Equal("now here", await cache.GetOrSetAsync("pitch:404:details", _ => Task.FromResult<string?>("now here"), CacheStrategies.PitchDetails));

        runs = 0;
        Assert.Null(await cache.GetOrSetAsync("user:404:profile", NotFound, "negative"));
        Assert.Null(await cache.GetOrSetAsync("user:404:profile", NotFound, "negative"));
        Assert.Equal(1, runs); // cached
        await TestServices.WaitUntilAsync(async () =>
        {
            await cache.GetOrSetAsync("user:404:profile", NotFound, "negative");
            return runs == 2;
        }, TimeSpan.FromSeconds(10), "the cached null to expire after NullDuration");
    }

    [Fact]
    public async Task The_state_overload_hands_its_state_to_a_static_value_task_factory()
    {
        var cache = NewInstance();
        var state = (id: 7, name: "seven");
        Assert.Equal("7:seven", await cache.GetOrSetAsync("user:7:profile", state, static (s, _) => new ValueTask<string>($"{s.id}:{s.name}"), CacheStrategies.UserProfile));
        Assert.Equal("7:seven", await cache.GetOrSetAsync<string>("user:7:profile", static _ => new ValueTask<string>("other"), CacheStrategies.UserProfile));
    }

    [Fact]
    public async Task An_invalidation_touches_only_the_strategies_that_use_the_tag_even_from_an_instance_that_never_used_it()
    {
        var reader = NewInstance();
        var writer = NewInstance();
        await reader.GetOrSetAsync("pitch:5:details", Factory("v1"), CacheStrategies.PitchDetails, ["pitch:5"]);
        await reader.GetOrSetAsync("user:5:profile", Factory("u"), CacheStrategies.UserProfile, ["user:5"]);
        Assert.Equal("pitch:#:comments", TagUse.Family("pitch:123:comments"));

        // the writer never cached a pitch: it learns from Redis which strategies use "pitch:#"
        await writer.InvalidateByTagsAsync(["pitch:77"]);
        var writes = writer.GetCounters().ToDictionary(c => c.Strategy, c => c.Writes);
        await writer.InvalidateByTagsAsync(["pitch:5"]);
        await TestServices.WaitUntilAsync(async () => !(await reader.TryGetAsync<string>("pitch:5:details", CacheStrategies.PitchDetails)).HasValue,
            TimeSpan.FromSeconds(10), "the invalidation to reach the reader");
        Assert.True((await reader.TryGetAsync<string>("user:5:profile", CacheStrategies.UserProfile)).HasValue);
        await TestServices.WaitUntilAsync(() => Task.FromResult(writer.GetCounters().Single(c => c.Strategy == CacheStrategies.PitchDetails).Writes > writes[CacheStrategies.PitchDetails]),
            TimeSpan.FromSeconds(10), "the tag marker of the strategy that uses the tag"); // a marker counts as a write
        foreach (var c in writer.GetCounters().Where(c => c.Strategy != CacheStrategies.PitchDetails))
        {
            Assert.Equal(writes[c.Strategy], c.Writes); // untouched
        }
    }

    [Fact]
    public async Task A_strategy_whose_misses_Redis_never_answers_stops_reading_Redis_but_still_writes_to_it()
    {
        var a = NewInstance();
        var b = NewInstance();
        // distinct keys, a factory that costs nothing: every Redis read on a miss is pure cost
        // (the first window, the start, is not judged; a window needs enough witness keys)
        for (var i = 0; i < 64 * CacheDefaults.RedisWindow && !a.GetCounters().Single(c => c.Strategy == CacheStrategies.UserProfile).RedisBypassed; i++)
        {
            Assert.Equal($"v{i}", await a.GetOrSetAsync($"user:{i}:profile", Factory($"v{i}"), CacheStrategies.UserProfile));
        }

        var counters = a.GetCounters().Single(c => c.Strategy == CacheStrategies.UserProfile);
        Assert.True(counters.RedisBypassed, "the strategy still reads Redis on its misses");
        Assert.Equal(1, counters.RedisBypasses);
        Assert.True(counters.RedisCostMicrosPerMiss > counters.RedisSavingMicrosPerMiss);
        Assert.False(a.GetCounters().Single(c => c.Strategy == CacheStrategies.PitchDetails).RedisBypassed); // per strategy

        // skipping Redis: the next misses load without reading it; a witness key's value is still
        // written there (for the next measurement and the other instances), any other key's is not
        var keys = Enumerable.Range(0, 1000).Select(i => $"user:fresh{i}:profile").ToList();
        var witness = keys.First(RedisTierGovernor.Witness);
        var other = keys.First(k => !RedisTierGovernor.Witness(k));
        var runs = 0;
        Assert.Equal("other", await a.GetOrSetAsync(other, Factory("other", () => runs++), CacheStrategies.UserProfile));
        Assert.Equal("fresh", await a.GetOrSetAsync(witness, Factory("fresh", () => runs++), CacheStrategies.UserProfile));
        Assert.Equal(2, runs);
        await TestServices.WaitUntilAsync(async () => (await b.TryGetAsync<string>(witness, CacheStrategies.UserProfile)) is { HasValue: true, Value: "fresh" },
            TimeSpan.FromSeconds(10), "the witness value loaded while skipping Redis to reach Redis");
        Assert.False((await b.TryGetAsync<string>(other, CacheStrategies.UserProfile)).HasValue, "a value that is no witness was written to Redis while skipping it");
        runs = 1;

        // its first hit completes in memory (the tag's marker was set by the load, not read from
        // Redis on the hit), and an invalidation on another instance still reaches it (the hit
        // before it reads the instance's clear markers, once)
        Assert.Equal("fresh", await a.GetOrSetAsync(witness, Factory("other", () => runs++), CacheStrategies.UserProfile));
        Assert.Equal("tagged", await a.GetOrSetAsync("user:tagged:profile", Factory("tagged", () => runs++), CacheStrategies.UserProfile, ["user:tagged"]));
        Assert.Equal(2, runs);
        var firstHit = a.GetOrSetAsync("user:tagged:profile", Factory("other", () => runs++), CacheStrategies.UserProfile, ["user:tagged"]);
        Assert.True(firstHit.IsCompletedSuccessfully, "the first hit of a loaded entry waited for Redis");
        Assert.Equal("tagged", await firstHit);
        await b.InvalidateByTagsAsync(["user:tagged"]);
        await TestServices.WaitUntilAsync(async () => await a.GetOrSetAsync("user:tagged:profile", Factory("after", () => runs++), CacheStrategies.UserProfile, ["user:tagged"]) == "after",
            TimeSpan.FromSeconds(10), "the other instance's invalidation to reach the entry");
        Assert.Equal(3, runs);
    }

    [Fact]
    public async Task A_hundred_concurrent_callers_on_a_cold_key_run_the_factory_once()
    {
        var cache = NewInstance();
        var runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<string> SlowFactory(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            await gate.Task.WaitAsync(ct);
            return "computed";
        }

        var callers = Enumerable.Range(0, 100).Select(_ => Task.Run(() => cache.GetOrSetAsync("trending:today", SlowFactory, CacheStrategies.TrendingData).AsTask())).ToList();
        await TestServices.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref runs) >= 1), TimeSpan.FromSeconds(10), "the factory to start");
        gate.SetResult();
        var results = await Task.WhenAll(callers);
        Assert.All(results, r => Assert.Equal("computed", r));
        Assert.Equal(1, runs);
        var counters = cache.GetCounters().Single(c => c.Strategy == CacheStrategies.TrendingData);
        Assert.Equal(1, counters.Misses);
        Assert.Equal(99, counters.Hits);
    }

    [Fact]
    public async Task Compression_shrinks_a_large_value_in_redis_and_round_trips_through_another_instance()
    {
        var a = NewInstance();
        var b = NewInstance();
        var big = new PitchView(42, "A pitch", string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 400)), [.. Enumerable.Range(1, 200)]);
        await a.SetAsync("pitch:42:details", big, CacheStrategies.PitchDetails);
        var read = await b.TryGetAsync<PitchView>("pitch:42:details", CacheStrategies.PitchDetails);
        Assert.True(read.HasValue);
        Assert.Equal(big.Body, read.Value.Body);
        Assert.Equal(big.Scores, read.Value.Scores);

        var counters = a.GetCounters().Single(c => c.Strategy == CacheStrategies.PitchDetails);
        Assert.True(counters.CompressionRatio < 0.2, $"compression ratio {counters.CompressionRatio}");

        // what Redis holds is the compressed form
        await using var mux = await TestServices.ConnectRedisAsync();
        var server = mux.GetServers().First();
        var key = server.Keys(pattern: $"*{Prefix}pitch_details:*42*").Single();
        var stored = (await mux.GetDatabase().HashGetAsync(key, "data")).Length();
        Assert.InRange(stored, 1, big.Body.Length / 5);

        // an uncompressed strategy stores the same value as it is
        await a.SetAsync("user:42:profile", big, CacheStrategies.UserProfile);
        var plain = a.GetCounters().Single(c => c.Strategy == CacheStrategies.UserProfile);
        Assert.Equal(1, plain.CompressionRatio!.Value, 2);
    }

    [Fact]
    public async Task A_value_of_another_type_in_redis_is_a_miss_not_an_error()
    {
        // another version of the application cached a number under the key; this one expects an object
        var old = NewInstance();
        await old.SetAsync("pitch:7:details", 12345, CacheStrategies.PitchDetails);
        var current = NewInstance();
        var runs = 0;
        var value = await current.GetOrSetAsync("pitch:7:details", _ => { runs++; return Task.FromResult(new PitchView(7, "fresh", "body", [1])); }, CacheStrategies.PitchDetails);
        Assert.Equal("fresh", value.Title);
        Assert.Equal(1, runs);

        // and the replacement is what the next instance reads
        var next = NewInstance();
        var read = await next.TryGetAsync<PitchView>("pitch:7:details", CacheStrategies.PitchDetails);
        Assert.True(read.HasValue);
        Assert.Equal("fresh", read.Value.Title);
    }

    [Fact]
    public async Task Unknown_strategies_and_bad_settings_are_refused_with_the_fix()
    {
        var cache = NewInstance();
        var ex = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(async () => await cache.GetOrSetAsync("k", Factory("v"), "nope"));
        Assert.Contains("user_profile", ex.Message, StringComparison.Ordinal);
        Assert.Throws<PgOptimizerConfigurationException>(() => NewInstance(o => o.Strategies["x"] = new CacheStrategy { Duration = TimeSpan.Zero }));
        Assert.Throws<PgOptimizerConfigurationException>(() => NewInstance(o => o.Tables.Add(new TableInvalidation { Table = "pitches", Strategies = { "missing" } })));
    }

    [Fact]
    public async Task Warmup_loads_registered_keys_and_reports_failures()
    {
        var cache = NewInstance(o => o.WarmupConcurrency = 2);
        for (var i = 0; i < 10; i++)
        {
            var id = i;
            cache.AddWarmup(CacheKeys.GetUserKey(id, "profile"), CacheStrategies.UserProfile, _ => Task.FromResult($"user {id}"));
        }

        cache.AddWarmup<string>("broken", CacheStrategies.UserProfile, _ => throw new InvalidOperationException("no such user"));
        var report = await cache.WarmupAsync();
        Assert.Equal((11, 10), (report.Items, report.Loaded));
        Assert.Equal(["broken"], report.Failed);
        Assert.Equal("user 3", (await cache.TryGetAsync<string>("user:3:profile", CacheStrategies.UserProfile)).Value);
    }

    [Fact]
    public void Keys_and_tags_have_one_spelling()
    {
        Assert.Equal("user:42:profile", CacheKeys.GetUserKey(42, "profile"));
        Assert.Equal(CacheKeys.GetSearchKey("  Green   Energy ", 1), CacheKeys.GetSearchKey("green energy", 1));
        Assert.NotEqual(CacheKeys.GetSearchKey("green energy", 1), CacheKeys.GetSearchKey("green energy", 2));
        Assert.Equal("pitch:7:comments", CacheKeys.ExpandTemplate("pitch:{pitch_id}:comments", new Dictionary<string, string?> { ["pitch_id"] = "7" }));
        Assert.Null(CacheKeys.ExpandTemplate("pitch:{missing}", new Dictionary<string, string?>()));
    }

    public sealed record PitchView(long Id, string Title, string Body, int[] Scores);
}
