using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Point reads by primary key on the local PostgreSQL: through the connection manager (Polly
/// retry + circuit breaker + timeouts, pooled data source, auto-prepared statements) against a raw
/// NpgsqlDataSource with prepared statements. Each invocation runs 512 reads spread over
/// <see cref="Concurrency"/> concurrent callers, so Mean is the time per read at that concurrency
/// and 1/Mean is throughput.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 25)]
public class PointReadBenchmarks
{
    private const int Reads = 512;
    private const int Rows = 10_000;
    private const string Sql = "SELECT v FROM kv WHERE id = $1";
    private NpgsqlDataSource _raw = null!;
    private PgConnectionManager _manager = null!;

    [Params(1, 16)]
    public int Concurrency { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        var baseConnection = ConnectionStringParser.Parse(BenchEnvironment.Get("PGOPT_CONNECTION"));
        var admin = new NpgsqlConnectionStringBuilder(baseConnection.ConnectionString) { Database = "postgres" };
        await using (var adminSource = NpgsqlDataSource.Create(admin.ConnectionString))
        {
            await using var exists = adminSource.CreateCommand("SELECT count(*) FROM pg_database WHERE datname = 'pgopt_bench'");
            if ((long)(await exists.ExecuteScalarAsync())! == 0)
            {
                await using var create = adminSource.CreateCommand("CREATE DATABASE pgopt_bench");
                await create.ExecuteNonQueryAsync();
            }
        }

        var target = new NpgsqlConnectionStringBuilder(baseConnection.ConnectionString) { Database = "pgopt_bench" };
        _raw = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(target.ConnectionString) { MaxAutoPrepare = 64, MaxPoolSize = 100 }.ConnectionString).Build();
        await using (var setup = _raw.CreateCommand(
            $"CREATE TABLE IF NOT EXISTS kv (id int PRIMARY KEY, v text NOT NULL); " +
            $"INSERT INTO kv SELECT i, md5(i::text) FROM generate_series(1, {Rows}) i ON CONFLICT DO NOTHING; ANALYZE kv"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        _manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = target.ConnectionString }));

        // Warm both pools to the same size.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => RawRead(1).AsTask()));
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => ManagerRead(1).AsTask()));
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _manager.DisposeAsync();
        await _raw.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads)]
    public Task RawNpgsqlPrepared() => Run(RawRead);

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task ConnectionManager() => Run(ManagerRead);

    private Task Run(Func<int, ValueTask<string>> read)
    {
        var per = Reads / Concurrency;
        return Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async w =>
        {
            for (var i = 0; i < per; i++)
            {
                await read(1 + ((w * per + i) * 7919 % Rows));
            }
        }));
    }

    internal async ValueTask<string> RawRead(int id)
    {
        await using var conn = await _raw.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(Sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    internal ValueTask<string> ManagerRead(int id) =>
        _manager.ExecuteAsync(DbIntent.Read, id, static async (conn, id, ct) =>
        {
            await using var cmd = new NpgsqlCommand(Sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
            return (string)(await cmd.ExecuteScalarAsync(ct))!;
        });
}
