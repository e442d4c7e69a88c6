using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Connections;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Two cache instances with their own LISTEN sessions on a table with the invalidation trigger,
/// and a third connection that writes: what both invalidation benchmarks measure.
/// </summary>
internal sealed class InvalidationRig : IAsyncDisposable
{
    private TaskCompletionSource? _pending;
    private string? _awaited;

    private InvalidationRig(PgConnectionManager manager, CacheTriggers triggers, RedisConnection redisA, RedisConnection redisB, SmartCache a, SmartCache b,
        CacheInvalidationListener listenerA, CacheInvalidationListener listenerB, NpgsqlConnection writer)
    {
        Manager = manager;
        Triggers = triggers;
        RedisA = redisA;
        RedisB = redisB;
        A = a;
        B = b;
        ListenerA = listenerA;
        ListenerB = listenerB;
        Writer = writer;
        ListenerB.Invalidated += (_, e) =>
        {
            if (_awaited is not null && e.Tags.Contains(_awaited))
            {
                _pending?.TrySetResult();
            }
        };
    }

    public PgConnectionManager Manager { get; }

    public CacheTriggers Triggers { get; }

    public RedisConnection RedisA { get; }

    public RedisConnection RedisB { get; }

    public SmartCache A { get; }

    public SmartCache B { get; }

    public CacheInvalidationListener ListenerA { get; }

    public CacheInvalidationListener ListenerB { get; }

    public NpgsqlConnection Writer { get; }

    public static async Task<InvalidationRig> CreateAsync(string channel)
    {
        var bench = new PointReadBenchmarks { Concurrency = 1 };
        await bench.Setup(); // creates the pgopt_bench database
        await bench.Cleanup();
        var target = new NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(BenchEnvironment.Get("PGOPT_CONNECTION")).ConnectionString) { Database = "pgopt_bench" };
        var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = target.ConnectionString }));
        await using (var setup = manager.Primary.DataSource.CreateCommand(
            "CREATE TABLE IF NOT EXISTS cache_items (id int PRIMARY KEY, v text); INSERT INTO cache_items SELECT i, 'v' FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var options = Options.Create(new CacheOptions
        {
            KeyPrefix = $"pgopt-bench-{Guid.NewGuid():N}:",
            Channel = channel,
            Tables = { new TableInvalidation { Table = "cache_items", Tags = { "item:{id}" }, Strategies = { CacheStrategies.PitchDetails } } },
        });
        var triggers = new CacheTriggers(manager, options);
        await triggers.InstallAsync("cache_items");
        var redisA = new RedisConnection(Options.Create(new RedisOptions { Url = BenchEnvironment.Get("REDIS_URL") }));
        var redisB = new RedisConnection(Options.Create(new RedisOptions { Url = BenchEnvironment.Get("REDIS_URL") }));
        var a = new SmartCache(options, redisA);
        var b = new SmartCache(options, redisB);
        await Task.WhenAll(a.ConnectRedisAsync(), b.ConnectRedisAsync());
        var listenerA = new CacheInvalidationListener(a, manager, options);
        var listenerB = new CacheInvalidationListener(b, manager, options);
        await listenerA.StartAsync(CancellationToken.None);
        await listenerB.StartAsync(CancellationToken.None);
        await listenerA.WaitUntilListeningAsync();
        await listenerB.WaitUntilListeningAsync();
        var writer = await manager.Primary.DataSource.OpenConnectionAsync();
        return new InvalidationRig(manager, triggers, redisA, redisB, a, b, listenerA, listenerB, writer);
    }

    /// <summary>Commits an UPDATE of row <paramref name="id"/> (autocommit); the returned task completes when instance B has invalidated its tag.</summary>
    public async Task<Task> UpdateAsync(int id)
    {
        _awaited = $"item:{id}";
        _pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cmd = new NpgsqlCommand("UPDATE cache_items SET v = v || '.' WHERE id = $1", Writer);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
        await cmd.ExecuteNonQueryAsync();
        return _pending.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await ListenerA.StopAsync(CancellationToken.None);
        await ListenerB.StopAsync(CancellationToken.None);
        ListenerA.Dispose();
        ListenerB.Dispose();
        await Triggers.RemoveAsync("cache_items");
        await Writer.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
        await RedisA.DisposeAsync();
        await RedisB.DisposeAsync();
        await Manager.DisposeAsync();
    }
}
