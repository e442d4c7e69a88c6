using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Connections;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// One UPDATE committed and waited for until the second cache instance has invalidated the row's
/// tag (trigger → NOTIFY → that instance's LISTEN session → RemoveByTag), in the same
/// BenchmarkDotNet run as the memory-hit benchmarks. The time includes the UPDATE's own round trip;
/// `PgOptimizer.Benchmarks invalidation` measures from the commit alone, with p99.
/// </summary>
[Config(typeof(Percentiles))]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15, invocationCount: 32)]
public class InvalidationBenchmarks
{
    private PgConnectionManager _manager = null!;
    private RedisConnection _redisA = null!;
    private RedisConnection _redisB = null!;
    private SmartCache _a = null!;
    private SmartCache _b = null!;
    private CacheInvalidationListener _listenerA = null!;
    private CacheInvalidationListener _listenerB = null!;
    private NpgsqlConnection _writer = null!;
    private TaskCompletionSource? _pending;
    private string? _awaited;
    private int _next;

    [GlobalSetup]
    public async Task Setup()
    {
        var bench = new PointReadBenchmarks { Concurrency = 1 };
        await bench.Setup();
        await bench.Cleanup();
        var target = new NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(BenchEnvironment.Get("PGOPT_CONNECTION")).ConnectionString) { Database = "pgopt_bench" };
        _manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = target.ConnectionString }));
        await using (var setup = _manager.Primary.DataSource.CreateCommand(
            "CREATE TABLE IF NOT EXISTS cache_items (id int PRIMARY KEY, v text); INSERT INTO cache_items SELECT i, 'v' FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var options = Options.Create(new CacheOptions
        {
            KeyPrefix = $"pgopt-bench-{Guid.NewGuid():N}:",
            Channel = "pgopt_cache_bdn",
            Tables = { new TableInvalidation { Table = "cache_items", Tags = { "item:{id}" }, Strategies = { CacheStrategies.PitchDetails } } },
        });
        await new CacheTriggers(_manager, options).InstallAsync("cache_items");
        _redisA = new RedisConnection(Options.Create(new RedisOptions { Url = BenchEnvironment.Get("REDIS_URL") }));
        _redisB = new RedisConnection(Options.Create(new RedisOptions { Url = BenchEnvironment.Get("REDIS_URL") }));
        _a = new SmartCache(options, _redisA);
        _b = new SmartCache(options, _redisB);
        _listenerA = new CacheInvalidationListener(_a, _manager, options);
        _listenerB = new CacheInvalidationListener(_b, _manager, options);
        await _listenerA.StartAsync(CancellationToken.None);
        await _listenerB.StartAsync(CancellationToken.None);
        await _listenerA.WaitUntilListeningAsync();
        await _listenerB.WaitUntilListeningAsync();
        _listenerB.Invalidated += (_, e) =>
        {
            if (_awaited is not null && e.Tags.Contains(_awaited))
            {
                _pending?.TrySetResult();
            }
        };
        _writer = await _manager.Primary.DataSource.OpenConnectionAsync();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _listenerA.StopAsync(CancellationToken.None);
        await _listenerB.StopAsync(CancellationToken.None);
        _listenerA.Dispose();
        _listenerB.Dispose();
        await _writer.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redisA.DisposeAsync();
        await _redisB.DisposeAsync();
        await _manager.DisposeAsync();
    }

    [Benchmark]
    public async Task CommitToInvalidationOnSecondInstance()
    {
        var id = 1 + (_next++ % 1000);
        _awaited = $"item:{id}";
        _pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cmd = new NpgsqlCommand("UPDATE cache_items SET v = v || '.' WHERE id = $1", _writer);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
        await cmd.ExecuteNonQueryAsync();
        await _pending.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles() => AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max);
    }
}
