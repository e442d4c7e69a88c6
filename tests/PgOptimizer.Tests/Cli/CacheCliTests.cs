using System.Text.Json;
using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class CacheCliTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(db => db.ExecAsync("CREATE TABLE pitches (id bigint PRIMARY KEY, title text)"));

    public Task InitializeAsync() => _m.InitializeAsync();

    public Task DisposeAsync() => _m.DisposeAsync();

    private Dictionary<string, string?> Env => new()
    {
        ["PGOPT_CONNECTION"] = _m.Db.Connection,
        ["REDIS_URL"] = TestServices.RedisUrl,
    };

    [Fact]
    public async Task Triggers_install_twice_list_and_remove_and_refuse_a_missing_table()
    {
        var first = await PgoptProcess.RunAsync(Env, "cache", "triggers", "install", "--table", "pitches", "--json");
        Assert.True(first.ExitCode == 0, first.All);
        var again = await PgoptProcess.RunAsync(Env, "cache", "triggers", "install", "--table", "pitches", "--json");
        Assert.True(again.ExitCode == 0, again.All);
        var installed = JsonDocument.Parse(again.Stdout).RootElement.GetProperty("installed");
        Assert.Equal("public.pitches", Assert.Single(installed.EnumerateArray()).GetProperty("table").GetString());

        var missing = await PgoptProcess.RunAsync(Env, "cache", "triggers", "install", "--table", "nope");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);

        var removed = await PgoptProcess.RunAsync(Env, "cache", "triggers", "remove", "--table", "pitches", "--json");
        Assert.True(removed.ExitCode == 0, removed.All);
        Assert.Empty(JsonDocument.Parse(removed.Stdout).RootElement.GetProperty("installed").EnumerateArray());
        Assert.Equal(2, (await PgoptProcess.RunAsync(Env, "cache", "triggers", "drop", "--table", "pitches")).ExitCode);
    }

    [Fact]
    public async Task Invalidate_reaches_a_running_instance_and_stats_report_it()
    {
        var tag = "pitch:cli-" + Guid.NewGuid().ToString("N")[..8];
        // An application named as the CLI is by default (its keys are "pgopt:pgopt:cache:..."); another would pass PGOPT_APPLICATION to the CLI.
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl, ApplicationName = "pgopt" }));
        await using var cache = new SmartCache(Options.Create(new CacheOptions()), redis);
        await cache.ConnectRedisAsync();
        await cache.GetOrSetAsync(tag + ":details", _ => Task.FromResult("cached"), CacheStrategies.PitchDetails, [tag]);

        var r = await PgoptProcess.RunAsync(Env, "cache", "invalidate", "--tag", tag);
        Assert.True(r.ExitCode == 0, r.All);
        await TestServices.WaitUntilAsync(async () => !(await cache.TryGetAsync<string>(tag + ":details", CacheStrategies.PitchDetails)).HasValue,
            TimeSpan.FromSeconds(10), "the CLI's invalidation to reach the instance");

        var stats = await PgoptProcess.RunAsync(Env, "cache", "stats", "--json");
        Assert.True(stats.ExitCode == 0, stats.All);
        var doc = JsonDocument.Parse(stats.Stdout).RootElement;
        Assert.True(doc.GetProperty("redisConnected").GetBoolean());
        Assert.Equal(8, doc.GetProperty("strategies").GetArrayLength());

        Assert.Equal(2, (await PgoptProcess.RunAsync(Env, "cache", "invalidate")).ExitCode);
        var noRedis = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = _m.Db.Connection }, "cache", "invalidate", "--tag", "x");
        Assert.Equal(2, noRedis.ExitCode);
    }
}
