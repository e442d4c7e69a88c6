using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Commit → invalidation latency on a second instance: two cache instances, each with its own
/// LISTEN session; an UPDATE commits on a third connection and the clock stops when the second
/// instance has invalidated the row's tag. Usage: PgOptimizer.Benchmarks invalidation [updates]
/// </summary>
internal static class InvalidationLatency
{
    public static async Task<int> RunAsync(string[] args)
    {
        var updates = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        var bench = new PointReadBenchmarks { Concurrency = 1 };
        await bench.Setup(); // creates the pgopt_bench database
        await bench.Cleanup();
        var target = new NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(BenchEnvironment.Get("PGOPT_CONNECTION")).ConnectionString) { Database = "pgopt_bench" };
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = target.ConnectionString }));
        await using (var setup = manager.Primary.DataSource.CreateCommand(
            "CREATE TABLE IF NOT EXISTS cache_items (id int PRIMARY KEY, v text); INSERT INTO cache_items SELECT i, 'v' FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var options = Options.Create(new CacheOptions
        {
            KeyPrefix = $"pgopt-bench-{Guid.NewGuid():N}:",
            Channel = "pgopt_cache_bench",
            Tables = { new TableInvalidation { Table = "cache_items", Tags = { "item:{id}" }, Strategies = { CacheStrategies.PitchDetails } } },
        });
        var triggers = new CacheTriggers(manager, options);
        await triggers.InstallAsync("cache_items");
        var redisUrl = BenchEnvironment.Get("REDIS_URL");
        await using var redisA = new RedisConnection(Options.Create(new RedisOptions { Url = redisUrl }));
        await using var redisB = new RedisConnection(Options.Create(new RedisOptions { Url = redisUrl }));
        await using var a = new SmartCache(options, redisA);
        await using var b = new SmartCache(options, redisB);
        using var listenerA = new CacheInvalidationListener(a, manager, options);
        using var listenerB = new CacheInvalidationListener(b, manager, options);
        await listenerA.StartAsync(CancellationToken.None);
        await listenerB.StartAsync(CancellationToken.None);
        await listenerA.WaitUntilListeningAsync();
        await listenerB.WaitUntilListeningAsync();

        var histogram = new LatencyHistogram();
        TaskCompletionSource<long>? pending = null;
        string? awaited = null;
        listenerB.Invalidated += (_, e) =>
        {
            if (awaited is not null && e.Tags.Contains(awaited))
            {
                pending?.TrySetResult(Stopwatch.GetTimestamp());
            }
        };

        await using var writer = await manager.Primary.DataSource.OpenConnectionAsync();
        for (var i = 0; i < updates + 20; i++)
        {
            var id = 1 + (i % 1000);
            var key = $"item:{id}";
            await a.SetAsync(key, "cached", CacheStrategies.PitchDetails, [key]);
            await b.GetOrSetAsync(key, _ => Task.FromResult("cached"), CacheStrategies.PitchDetails, [key]);
            pending = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            awaited = key;
            await using var cmd = new NpgsqlCommand("UPDATE cache_items SET v = $1 WHERE id = $2", writer);
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = i.ToString(CultureInfo.InvariantCulture) });
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
            await cmd.ExecuteNonQueryAsync(); // autocommit: returns after the commit
            var committed = Stopwatch.GetTimestamp();
            var done = await pending.Task.WaitAsync(TimeSpan.FromSeconds(10));
            if (i >= 20)
            {
                histogram.RecordTicks(done - committed); // the first 20 warm up
            }

            if ((await b.TryGetAsync<string>(key, CacheStrategies.PitchDetails)).HasValue)
            {
                throw new InvalidOperationException($"{key} still cached on the second instance after its invalidation");
            }
        }

        var s = histogram.Summarize();
        Console.WriteLine($"commit → invalidated on the second instance, {s.Count} updates: p50 {s.P50Ms:F2} ms, p95 {s.P95Ms:F2} ms, p99 {s.P99Ms:F2} ms, max {s.MaxMs:F2} ms, mean {s.MeanMs:F2} ms");
        await listenerA.StopAsync(CancellationToken.None);
        await listenerB.StopAsync(CancellationToken.None);
        await triggers.RemoveAsync("cache_items");
        return 0;
    }
}
