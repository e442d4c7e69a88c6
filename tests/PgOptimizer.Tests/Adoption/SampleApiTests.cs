using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Tests.Infrastructure;
using StackExchange.Redis;

namespace PgOptimizer.Tests.Adoption;

/// <summary>The sample API, built on the library as the README says, as an adopting team runs it.</summary>
public sealed class SampleApiTests(DemoDatabase demo) : IClassFixture<DemoDatabase>
{
    [Fact]
    public async Task With_redis_unreachable_the_api_listens_without_waiting_for_it_serves_reads_and_stops_promptly()
    {
        // a black-holed address: connecting can only time out, after 5 s; anything that waited for
        // it once would take that long, so the limits below (half of it, and under it for three
        // reads) tell a wait from a stall of a shared machine
        var settings = demo.Settings("redis://10.255.255.1:6379/0");
        settings["PgOptimizer:Redis:Timeout"] = "00:00:05";
        var host = await SampleApiHost.StartAsync(settings);
        try
        {
            Assert.True(host.Startup < TimeSpan.FromSeconds(2.5), $"listening after {host.Startup.TotalMilliseconds:F0} ms: start-up waited for Redis");
            var id = await demo.PitchIdAsync();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < 3; i++)
            {
                var pitch = await host.Http.GetFromJsonAsync<JsonElement>($"/pitches/{id}");
                Assert.Equal(id, pitch.GetProperty("id").GetInt64());
            }

            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"three reads took {sw.Elapsed.TotalMilliseconds:F0} ms: a read waited for Redis");
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/ready")).StatusCode);
            Assert.False(host.App.Services.GetRequiredService<SmartCache>().RedisAttached);
        }
        finally
        {
            var stop = System.Diagnostics.Stopwatch.StartNew();
            await host.DisposeAsync();
            Assert.True(stop.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stop.Elapsed.TotalMilliseconds:F0} ms");
        }
    }

    [Fact]
    public async Task A_cold_cache_with_the_hit_rate_alert_firing_is_degraded_but_ready()
    {
        var settings = demo.Settings();
        settings["PgOptimizer:Monitoring:Alerts:cache_hit_rate:Warning"] = "99.9";
        settings["PgOptimizer:Monitoring:Alerts:cache_hit_rate:Critical"] = "99";
        settings["PgOptimizer:Monitoring:Alerts:cache_hit_rate:For"] = "00:00:00";
        await using var host = await SampleApiHost.StartAsync(settings);
        var ids = await demo.Db.DataSource.CreateCommand("SELECT id FROM pitches ORDER BY id LIMIT 40").ExecuteReaderAsync() is var r
            ? await ReadIdsAsync(r) : [];
        await TestServices.WaitUntilAsync(async () =>
        {
            foreach (var id in ids)
            {
                (await host.Http.GetAsync($"/pitches/{id}/comments?n={Guid.NewGuid():N}")).EnsureSuccessStatusCode();
                await host.Http.GetAsync($"/pitches/{id + 1_000_000}"); // not found: never cached, always a miss
            }

            using var db = JsonDocument.Parse(await host.Http.GetStringAsync("/health/database"));
            return db.RootElement.GetProperty("alerts").EnumerateArray().Any(a =>
                a.GetProperty("name").GetString() == "cache_hit_rate" && a.GetProperty("state").GetString() == "firing");
        }, TimeSpan.FromSeconds(20), "the cache hit rate alert to fire");

        using var ready = await host.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Degraded", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Degraded", body.RootElement.GetProperty("checks").GetProperty("pgopt-performance").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("pgopt-primary").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/database")).StatusCode);
    }

    [Fact]
    public async Task A_probe_sends_no_query_to_postgresql()
    {
        var settings = demo.Settings();
        settings["PgOptimizer:Connections:HealthProbeInterval"] = "00:10:00";
        settings["PgOptimizer:Monitoring:Interval"] = "00:10:00";
        await using var host = await SampleApiHost.StartAsync(settings);
        await TestServices.WaitUntilAsync(async () => (await host.Http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "readiness");
        await using var stats = NpgsqlDataSource.Create(PgOptimizer.Connections.ConnectionStringParser.Parse(TestServices.PrimaryConnection).ConnectionString);
        async Task<long> CallsAsync()
        {
            await using var cmd = stats.CreateCommand("SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1");
            cmd.Parameters.AddWithValue(demo.Db.Name);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }

        var before = await CallsAsync();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/live")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/database")).StatusCode);
        }

        Assert.Equal(before, await CallsAsync());
        // and the same count does move when the application queries
        await host.Http.GetAsync($"/raw/pitches/{await demo.PitchIdAsync()}");
        await TestServices.WaitUntilAsync(async () => await CallsAsync() > before, TimeSpan.FromSeconds(5), "pg_stat_statements to count a query");
    }

    [Fact]
    public async Task Two_applications_with_default_settings_on_one_redis_share_no_key()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var id = await demo.PitchIdAsync();
        var names = new[] { $"shop-{suffix}", $"billing-{suffix}" };
        foreach (var name in names)
        {
            await using var host = await SampleApiHost.StartAsync(demo.Settings(), name);
            var cache = host.App.Services.GetRequiredService<SmartCache>();
            await cache.ConnectRedisAsync();
            Assert.True(cache.RedisAttached);
            (await host.Http.GetAsync($"/pitches/{id}")).EnsureSuccessStatusCode();
            await TestServices.WaitUntilAsync(async () =>
            {
                using var db = JsonDocument.Parse(await host.Http.GetStringAsync("/health/database"));
                return true;
            }, TimeSpan.FromSeconds(5), "an evaluation");
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestServices.RedisUrl.Replace("redis://", "", StringComparison.Ordinal).Split('/')[0]);
        var server = redis.GetServers().First();
        var keys = new Dictionary<string, HashSet<string>>();
        foreach (var name in names)
        {
            keys[name] = [];
            await foreach (var k in server.KeysAsync(pattern: $"*{name}*"))
            {
                keys[name].Add(k.ToString());
            }
        }

        foreach (var name in names)
        {
            Assert.Contains(keys[name], k => k.StartsWith($"pgopt:{name}:cache:pitch_details:", StringComparison.Ordinal) && k.Contains($"pitch:{id}:details", StringComparison.Ordinal));
            Assert.All(keys[name], k => Assert.StartsWith($"pgopt:{name}:", k, StringComparison.Ordinal));
        }

        Assert.Empty(keys[names[0]].Intersect(keys[names[1]]));
    }

    [Fact]
    public async Task A_like_counts_once_on_the_pitch_and_its_cached_page_shows_it_at_once()
    {
        // an application name of its own: its keys in Redis are this run's, not an earlier run's of the same seed
        await using var host = await SampleApiHost.StartAsync(demo.Settings(), $"likes-{Guid.NewGuid():N}");
        var id = await demo.Db.ScalarAsync<long>("SELECT max(id) FROM pitches");
        var fans = await demo.Db.DataSource.CreateCommand(
            $"SELECT u.id::bigint FROM users u WHERE NOT EXISTS (SELECT 1 FROM likes l WHERE l.user_id = u.id AND l.pitch_id = {id}) ORDER BY u.id LIMIT 2").ExecuteReaderAsync() is var r
            ? await ReadIdsAsync(r) : [];
        Assert.Equal(2, fans.Count);
        async Task<long> ShownAsync() => (await host.Http.GetFromJsonAsync<JsonElement>($"/pitches/{id}")).GetProperty("likeCount").GetInt64();
        async Task<int> LikeAsync(string path) =>
            (await (await host.Http.PostAsync(path, null)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("added").GetInt32();

        var before = await ShownAsync();
        Assert.Equal(before, await ShownAsync()); // now served from the cache
        Assert.Equal(1, await LikeAsync($"/pitches/{id}/likes/{fans[0]}"));
        Assert.Equal(before + 1, await ShownAsync()); // the like invalidated the cached page
        Assert.Equal(0, await LikeAsync($"/pitches/{id}/likes/{fans[0]}")); // the same user again: nothing counted
        Assert.Equal(before + 1, await ShownAsync());
        Assert.Equal(1, await LikeAsync($"/raw/pitches/{id}/likes/{fans[1]}")); // the raw endpoint runs the same statement
        Assert.Equal(before + 2, await demo.Db.ScalarAsync<long>($"SELECT like_count::bigint FROM pitches WHERE id = {id}"));
        Assert.Equal(2, await demo.Db.ScalarAsync<long>(
            $"SELECT count(*) FROM likes WHERE pitch_id = {id} AND user_id IN ({fans[0]}, {fans[1]})"));
    }

    private static async Task<List<long>> ReadIdsAsync(NpgsqlDataReader r)
    {
        await using (r)
        {
            var ids = new List<long>();
            while (await r.ReadAsync())
            {
                ids.Add(r.GetInt64(0));
            }

            return ids;
        }
    }
}
