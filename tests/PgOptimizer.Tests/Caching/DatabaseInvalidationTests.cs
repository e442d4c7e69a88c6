using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Caching;

/// <summary>Commits invalidate cache entries on every instance, through triggers, LISTEN and the backplane.</summary>
public sealed class DatabaseInvalidationTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(db => db.ExecAsync(
        "CREATE TABLE pitches (id bigint PRIMARY KEY, title text NOT NULL); INSERT INTO pitches SELECT i, 'pitch ' || i FROM generate_series(1, 10) i; " +
        "CREATE TABLE comments (id bigint PRIMARY KEY, pitch_id bigint NOT NULL, body text); INSERT INTO comments VALUES (1, 3, 'hi'); " +
        "CREATE VIEW pitch_titles AS SELECT title FROM pitches"));

    private readonly string _prefix = $"pgopt-test-{Guid.NewGuid():N}:";
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<CacheInvalidationListener> _listeners = [];

    public Task InitializeAsync() => _m.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var l in _listeners)
        {
            await l.StopAsync(CancellationToken.None);
            l.Dispose();
        }

        foreach (var d in Enumerable.Reverse(_owned))
        {
            await d.DisposeAsync();
        }

        await _m.DisposeAsync();
    }

    private CacheOptions Options_()
    {
        var options = new CacheOptions
        {
            KeyPrefix = _prefix,
            Channel = "pgopt_cache_" + _prefix[11..23],
            Tables =
            {
                new TableInvalidation { Table = "pitches", Tags = { "pitch:{id}" }, Strategies = { CacheStrategies.PitchDetails } },
                new TableInvalidation { Table = "comments", Tags = { "pitch:{pitch_id}:comments" }, Strategies = { PitchesCaching.PitchComments } },
            },
        };
        PitchesCaching.AddStrategies(options);
        return options;
    }

    private async Task<(SmartCache Cache, CacheInvalidationListener Listener)> NewInstanceAsync(CacheOptions options)
    {
        var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        var cache = new SmartCache(Options.Create(options), redis);
        cache.ConnectRedisAsync().GetAwaiter().GetResult();
        _owned.Add(redis);
        _owned.Add(cache);
        var listener = new CacheInvalidationListener(cache, _m.Connections, Options.Create(options));
        _listeners.Add(listener);
        await listener.StartAsync(CancellationToken.None);
        await listener.WaitUntilListeningAsync().WaitAsync(TimeSpan.FromSeconds(15));
        return (cache, listener);
    }

    private Task<string> TitleAsync(long id, CancellationToken ct) =>
        _m.Connections.ExecuteAsync(DbIntent.Read, id, static async (c, id, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT title FROM pitches WHERE id = $1", c);
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            return (string)(await cmd.ExecuteScalarAsync(ct))!;
        }, cancellationToken: ct).AsTask();

    [Fact]
    public async Task An_update_of_a_pitch_invalidates_the_cached_pitch_on_both_instances_within_a_bounded_time()
    {
        var options = Options_();
        var triggers = new CacheTriggers(_m.Connections, Options.Create(options));
        var installed = await triggers.InstallAsync("pitches");
        Assert.Equal(["id"], installed.Columns);
        await triggers.InstallAsync("comments", ["id", "pitch_id"]);
        await triggers.InstallAsync("pitches"); // idempotent
        Assert.Equal(["public.comments", "public.pitches"], (await triggers.ListAsync()).Select(t => t.Table));

        var (a, listenerA) = await NewInstanceAsync(options);
        var (b, _) = await NewInstanceAsync(options);
        var key = CacheKeys.GetPitchKey(5);
        string[] tags = [CacheKeys.PitchTag(5)];
        Assert.Equal("pitch 5", await a.GetOrSetAsync(key, ct => TitleAsync(5, ct), CacheStrategies.PitchDetails, tags));
        Assert.Equal("pitch 5", await b.GetOrSetAsync(key, ct => TitleAsync(5, ct), CacheStrategies.PitchDetails, tags));

        var committed = Stopwatch.StartNew();
        await _m.Db.ExecAsync("UPDATE pitches SET title = 'renamed' WHERE id = 5");
        TimeSpan? goneOnA = null, goneOnB = null;
        await TestServices.WaitUntilAsync(async () =>
        {
            goneOnA ??= (await a.TryGetAsync<string>(key, CacheStrategies.PitchDetails)).HasValue ? null : committed.Elapsed;
            goneOnB ??= (await b.TryGetAsync<string>(key, CacheStrategies.PitchDetails)).HasValue ? null : committed.Elapsed;
            return goneOnA is not null && goneOnB is not null;
        }, TimeSpan.FromSeconds(5), "the cached pitch to be invalidated on both instances");
        Console.WriteLine($"commit → invalidated: instance A {goneOnA!.Value.TotalMilliseconds:F1} ms, instance B {goneOnB!.Value.TotalMilliseconds:F1} ms");
        Assert.True(goneOnB < TimeSpan.FromSeconds(2));
        Assert.Equal("renamed", await b.GetOrSetAsync(key, ct => TitleAsync(5, ct), CacheStrategies.PitchDetails, tags));
        Assert.True(listenerA.Notifications >= 1);

        // other rows stay cached; a comment's pitch_id maps to its own tag
        await a.SetAsync(CacheKeys.GetPitchKey(6), "pitch 6", CacheStrategies.PitchDetails, [CacheKeys.PitchTag(6)]);
        await a.SetAsync("pitch:3:comments", "1 comment", PitchesCaching.PitchComments, ["pitch:3:comments"]);
        await _m.Db.ExecAsync("INSERT INTO comments VALUES (2, 3, 'second')");
        await TestServices.WaitUntilAsync(async () => !(await a.TryGetAsync<string>("pitch:3:comments", PitchesCaching.PitchComments)).HasValue,
            TimeSpan.FromSeconds(5), "the comments of pitch 3 to be invalidated");
        Assert.True((await a.TryGetAsync<string>(CacheKeys.GetPitchKey(6), CacheStrategies.PitchDetails)).HasValue);

        Assert.True(await triggers.RemoveAsync("pitches"));
        Assert.False(await triggers.RemoveAsync("pitches"));
        Assert.Equal(["public.comments"], (await triggers.ListAsync()).Select(t => t.Table));
        await triggers.RemoveAsync("comments");
        Assert.Equal(0L, await _m.Db.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE proname = 'pgopt_cache_notify'"));
    }

    [Fact]
    public async Task A_clear_that_fails_after_a_reconnect_neither_ends_the_listener_nor_lets_it_listen_without_clearing()
    {
        var options = Options_();
        var (cache, listener) = await NewInstanceAsync(options);
        await cache.DisposeAsync(); // every clear now fails (ObjectDisposedException)
        var pid = listener.BackendProcessId!.Value;

        await _m.Db.ExecAsync($"SELECT pg_terminate_backend({pid})");
        // Each reconnect's clear fails, so the listener goes round again (with its backoff) instead of
        // ending, or of listening on as if nothing could have been missed.
        await TestServices.WaitUntilAsync(() => Task.FromResult(listener.Reconnects >= 2), TimeSpan.FromSeconds(20), "a second reconnect after the failed clear");
        Assert.False(listener.ExecuteTask!.IsCompleted, listener.ExecuteTask.Exception?.ToString());
        Assert.False(listener.WaitUntilListeningAsync().IsCompleted);
    }

    [Fact]
    public async Task After_the_listener_reconnects_the_affected_strategies_are_cleared_wholesale()
    {
        var options = Options_();
        var (cache, listener) = await NewInstanceAsync(options);
        await cache.SetAsync("pitch:1:details", "cached", CacheStrategies.PitchDetails);
        await cache.SetAsync("user:1:profile", "kept", CacheStrategies.UserProfile);
        var pid = listener.BackendProcessId!.Value;

        await _m.Db.ExecAsync($"SELECT pg_terminate_backend({pid})");
        await TestServices.WaitUntilAsync(() => Task.FromResult(listener.Reconnects >= 1 && listener.BackendProcessId is { } p && p != pid),
            TimeSpan.FromSeconds(20), "the listener to reconnect");
        // The clear follows the reconnect at once (and awaits its marker's write to Redis); on a CI
        // machine with every test class starting at once it has once taken longer than 10 s to show.
        await TestServices.WaitUntilAsync(async () => !(await cache.TryGetAsync<string>("pitch:1:details", CacheStrategies.PitchDetails)).HasValue,
            TimeSpan.FromSeconds(30), "pitch_details to be cleared");
        Assert.Equal("kept", (await cache.TryGetAsync<string>("user:1:profile", CacheStrategies.UserProfile)).Value);
    }

    [Fact]
    public async Task Triggers_refuse_bad_input_and_change_nothing()
    {
        var triggers = new CacheTriggers(_m.Connections, Options.Create(Options_()));
        var missing = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => triggers.InstallAsync("no_such_table"));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        var column = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => triggers.InstallAsync("pitches", ["id", "nope"]));
        Assert.Contains("'nope'", column.Message, StringComparison.Ordinal);
        var view = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => triggers.InstallAsync("pitch_titles"));
        Assert.Contains("not a table", view.Message, StringComparison.Ordinal);
        Assert.Empty(await triggers.ListAsync());
        Assert.Equal(0L, await _m.Db.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE proname = 'pgopt_cache_notify'"));
    }

    [Fact]
    public async Task Listening_through_a_transaction_pooler_is_refused_with_the_fix()
    {
        var options = Options_();
        options.ListenConnectionString = "postgresql://u:secret-pw@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/db";
        await using var redis = new RedisConnection(Options.Create(new RedisOptions()));
        await using var cache = new SmartCache(Options.Create(options), redis);
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => new CacheInvalidationListener(cache, _m.Connections, Options.Create(options)));
        Assert.Contains("without '-pooler'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", ex.Message, StringComparison.Ordinal);
    }
}
