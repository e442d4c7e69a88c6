using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Infrastructure;
using PgOptimizer.Workload;

namespace PgOptimizer.Tests.Workload;

public sealed class WorkloadTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await PitchesDemo.SeedAsync(_db.DataSource, new SeedOptions { Scale = 0.002 });
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Every_operation_runs_against_the_seeded_schema_without_errors()
    {
        var keys = (await PitchesDemo.ReadKeySpaceAsync(_db.DataSource))!;
        var workload = new PitchesWorkload(keys);
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        var executor = new ConnectionManagerExecutor(manager);
        var random = workload.CreateRandom(3);
        foreach (var op in workload.Operations)
        {
            var rows = await executor.ExecuteAsync(op, op.Parameters(random), CancellationToken.None);
            Assert.True(rows >= 0, op.Name);
        }
    }

    [Fact]
    public async Task Every_reads_json_holds_each_value_as_npgsql_reads_it()
    {
        var keys = (await PitchesDemo.ReadKeySpaceAsync(_db.DataSource))!;
        var workload = new PitchesWorkload(keys);
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        var executor = new ConnectionManagerExecutor(manager);
        var random = workload.CreateRandom(5);
        var compared = 0;
        foreach (var op in workload.Operations.Where(o => o.Intent == DbIntent.Read))
        {
            var parameters = op.Parameters(random);
            var result = await executor.QueryAsync(op, parameters, CancellationToken.None);
            var rows = System.Text.Json.JsonDocument.Parse(result.Json).RootElement.EnumerateArray().ToList();
            Assert.Equal(rows.Count, result.Rows);

            await using var cmd = _db.DataSource.CreateCommand(op.Sql);
            foreach (var p in parameters)
            {
                cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = p ?? DBNull.Value });
            }

            await using var reader = await cmd.ExecuteReaderAsync();
            var r = 0;
            while (await reader.ReadAsync())
            {
                var row = rows[r++];
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var json = row.GetProperty(reader.GetName(i));
                    var what = $"{op.Name}.{reader.GetName(i)}";
                    switch (reader.IsDBNull(i) ? null : reader.GetValue(i))
                    {
                        case null:
                            Assert.Equal(System.Text.Json.JsonValueKind.Null, json.ValueKind);
                            break;
                        case string when reader.GetDataTypeName(i) is "jsonb" or "json":
                            Assert.True(json.ValueKind is System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Array, what);
                            break;
                        case string text:
                            Assert.Equal(text, json.GetString());
                            break;
                        case bool b:
                            Assert.Equal(b, json.GetBoolean());
                            break;
                        case DateTime t:
                            Assert.Equal(t, json.GetDateTime());
                            break;
                        case int or long or short or decimal or double:
                            Assert.Equal(Convert.ToDecimal(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture), json.GetDecimal());
                            break;
                        case var other:
                            Assert.Equal(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture), json.GetString());
                            break;
                    }

                    compared++;
                }
            }

            Assert.Equal(rows.Count, r);
        }

        Assert.True(compared > 50, $"only {compared} values compared");
    }

    [Fact]
    public async Task Reads_come_back_as_json_rows()
    {
        var keys = (await PitchesDemo.ReadKeySpaceAsync(_db.DataSource))!;
        var workload = new PitchesWorkload(keys);
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        var detail = workload.Operations.Single(o => o.Name == "pitch_detail");
        var result = await new ConnectionManagerExecutor(manager).QueryAsync(detail, [1L], CancellationToken.None);
        Assert.Equal(1, result.Rows);
        var row = System.Text.Json.JsonDocument.Parse(result.Json).RootElement.EnumerateArray().Single();
        Assert.Equal(1, row.GetProperty("id").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, row.GetProperty("metadata").ValueKind); // jsonb as JSON, not a string
        Assert.Equal(System.Text.Json.JsonValueKind.String, row.GetProperty("username").ValueKind);
    }

    [Fact]
    public async Task Warmup_loads_the_sampled_keys_so_the_same_traffic_only_hits()
    {
        var keys = (await PitchesDemo.ReadKeySpaceAsync(_db.DataSource))!;
        var workload = new PitchesWorkload(keys);
        var mix = WorkloadMix.Default(workload);
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        await using var redis = new RedisConnection(Options.Create(new RedisOptions()));
        var cacheOptions = new PgOptimizer.Caching.CacheOptions { UseRedis = false };
        PitchesCaching.AddStrategies(cacheOptions);
        await using var cache = new PgOptimizer.Caching.SmartCache(Options.Create(cacheOptions), redis);
        var database = new ConnectionManagerExecutor(manager);
        var executor = new CachedExecutor(database, cache);

        var report = await WorkloadWarmup.RunAsync(workload, mix, database, cache, 300, 5, executor);
        Assert.True(report.Items > 10, $"{report.Items} keys");
        Assert.Equal(report.Items, report.Loaded);
        Assert.Empty(report.Failed);

        // the same sample again (the warm-up draws with seed + 7919): every cacheable read is a hit
        var random = workload.CreateRandom(5 + 7919);
        var missesBefore = cache.GetCounters().Sum(c => c.Misses);
        var reads = 0;
        for (var i = 0; i < 300; i++)
        {
            var op = mix.Next(random.Random);
            var args = op.Parameters(random);
            if (op.Intent == DbIntent.Read && op.Cache is not null)
            {
                await executor.ExecuteAsync(op, args, CancellationToken.None);
                reads++;
            }
        }

        Assert.True(reads > 0);
        Assert.Equal(missesBefore, cache.GetCounters().Sum(c => c.Misses));
        Assert.Equal(1.0, executor.IdealHitRate); // every key was loaded before its first request
    }

    [Fact]
    public async Task The_ideal_hit_rates_count_each_keys_first_request_and_its_first_after_an_invalidation()
    {
        await using var run = await MemoryCachedAsync();
        var (workload, executor) = (run.Workload, run.Executor);
        var detail = workload.Operations.Single(o => o.Name == "pitch_detail");
        var update = workload.Operations.Single(o => o.Name == "update_pitch");

        await executor.ExecuteAsync(detail, [1L], CancellationToken.None); // first request of pitch 1
        await executor.ExecuteAsync(detail, [1L], CancellationToken.None);
        await executor.ExecuteAsync(detail, [2L], CancellationToken.None); // first request of pitch 2
        Assert.Equal(1.0 / 3, executor.IdealHitRate!.Value, 6);
        Assert.Equal(1.0 / 3, executor.IdealHitRateWithInvalidation!.Value, 6);

        await executor.ExecuteAsync(update, [1L, "Renamed"], CancellationToken.None); // invalidates pitch 1
        await executor.ExecuteAsync(detail, [1L], CancellationToken.None); // an ideal cache that stays correct misses here
        await executor.ExecuteAsync(detail, [1L], CancellationToken.None);
        await executor.ExecuteAsync(detail, [2L], CancellationToken.None); // pitch 2 was not invalidated
        Assert.Equal(6, executor.CacheableRequests);
        Assert.Equal(4.0 / 6, executor.IdealHitRate!.Value, 6);
        Assert.Equal(3.0 / 6, executor.IdealHitRateWithInvalidation!.Value, 6);
    }

    [Fact]
    public async Task A_like_counts_on_the_pitch_and_invalidates_its_page_only_when_it_counted()
    {
        await using var run = await MemoryCachedAsync();
        var (workload, executor) = (run.Workload, run.Executor);
        var detail = workload.Operations.Single(o => o.Name == "pitch_detail");
        var like = workload.Operations.Single(o => o.Name == "like_pitch");
        var pitch = 3L;
        var fan = await _db.ScalarAsync<int>($"SELECT min(u.id) FROM users u WHERE NOT EXISTS (SELECT 1 FROM likes l WHERE l.user_id = u.id AND l.pitch_id = {pitch})");
        async Task<long> ShownAsync()
        {
            var result = await executor.QueryAsync(detail, [pitch], CancellationToken.None);
            using var rows = System.Text.Json.JsonDocument.Parse(result.Utf8Json);
            return rows.RootElement[0].GetProperty("like_count").GetInt64();
        }

        var before = await ShownAsync(); // a miss, the pitch's first request
        Assert.Equal(1, await executor.ExecuteAsync(like, [fan, pitch], CancellationToken.None));
        Assert.Equal(before + 1, await ShownAsync()); // invalidated: loaded again, with the new count
        Assert.Equal(0, await executor.ExecuteAsync(like, [fan, pitch], CancellationToken.None)); // liked before: nothing changed
        Assert.Equal(before + 1, await ShownAsync()); // still cached
        Assert.Equal(3, executor.CacheableRequests);
        Assert.Equal(1.0 / 3, executor.IdealHitRateWithInvalidation!.Value, 6); // only the like that counted made a load necessary
        Assert.Equal(before + 1, await _db.ScalarAsync<long>($"SELECT like_count::bigint FROM pitches WHERE id = {pitch}"));
    }

    [Fact]
    public async Task Run_replays_the_mix_with_zero_errors_and_counts_rows_written()
    {
        var keys = (await PitchesDemo.ReadKeySpaceAsync(_db.DataSource))!;
        var workload = new PitchesWorkload(keys);
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        var eventsBefore = await _db.ScalarAsync<long>("SELECT count(*) FROM analytics_events");

        var report = await new WorkloadRunner().RunAsync(
            workload, WorkloadMix.Parse(workload, "track_event=1,pitch_detail=3"), new ConnectionManagerExecutor(manager),
            new WorkloadOptions { Duration = TimeSpan.FromSeconds(30), Concurrency = 4, MaxOperations = 400 });

        Assert.Equal(0, report.Errors);
        Assert.Equal(400, report.Calls);
        Assert.Equal(["pitch_detail", "track_event"], report.Operations.Select(o => o.Name).Order());
        var tracked = report.Operations.Single(o => o.Name == "track_event");
        Assert.Equal(tracked.Calls, tracked.Rows);
        Assert.Equal(eventsBefore + tracked.Rows, await _db.ScalarAsync<long>("SELECT count(*) FROM analytics_events"));
        Assert.True(report.Latency.P50Ms <= report.Latency.P95Ms && report.Latency.P95Ms <= report.Latency.P99Ms && report.Latency.P99Ms <= report.Latency.MaxMs);
    }

    /// <summary>The demo workload through the manager and a memory-only cache, as the load test runs it.</summary>
    private async Task<MemoryCachedRun> MemoryCachedAsync()
    {
        var keys = (await PitchesDemo.ReadKeySpaceAsync(_db.DataSource))!;
        var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        var redis = new RedisConnection(Options.Create(new RedisOptions()));
        var cacheOptions = new PgOptimizer.Caching.CacheOptions { UseRedis = false };
        PitchesCaching.AddStrategies(cacheOptions);
        var cache = new PgOptimizer.Caching.SmartCache(Options.Create(cacheOptions), redis);
        return new MemoryCachedRun(new PitchesWorkload(keys), new CachedExecutor(new ConnectionManagerExecutor(manager), cache), manager, redis, cache);
    }

    private sealed record MemoryCachedRun(PitchesWorkload Workload, CachedExecutor Executor, PgConnectionManager Manager, RedisConnection Redis, PgOptimizer.Caching.SmartCache Cache) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Cache.DisposeAsync();
            await Redis.DisposeAsync();
            await Manager.DisposeAsync();
        }
    }

    [Fact]
    public void Default_mix_is_mostly_reads_and_parses_overrides()
    {
        var workload = new PitchesWorkload(new DemoKeySpace(42, 1, SeedOptions.DefaultAnchor, 1000, 100_000, 1_000_000));
        var mix = WorkloadMix.Default(workload);
        Assert.InRange(mix.ReadShare, 0.8, 0.95);
        Assert.Equal(1.0, WorkloadMix.Parse(workload, "reads=100,writes=0").ReadShare, 6);
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => WorkloadMix.Parse(workload, "nonsense=3"));
        Assert.Contains("login_by_email", ex.Message, StringComparison.Ordinal);
        Assert.Throws<PgOptimizerConfigurationException>(() => WorkloadMix.Parse(workload, "pitch_detail=-1"));
    }

    [Fact]
    public void Zipf_sampler_matches_the_seed_formula_and_is_skewed()
    {
        var z = new ZipfSampler(1000);
        Assert.Equal(1, z.FromUniform(0));
        Assert.Equal(1000, z.FromUniform(0.999999999));
        var random = new Random(1);
        var top10 = Enumerable.Range(0, 100_000).Count(_ => z.Next(random) <= 10);
        Assert.InRange(top10 / 100_000.0, 0.30, 0.40); // ln(11)/ln(1001) ≈ 0.347
        var mild = new ZipfSampler(1000, 0.7);
        var mildTop10 = Enumerable.Range(0, 100_000).Count(_ => mild.Next(random) <= 10);
        Assert.True(mildTop10 < top10);
    }
}
