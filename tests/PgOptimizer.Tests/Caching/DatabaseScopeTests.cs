using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;
using StackExchange.Redis;

namespace PgOptimizer.Tests.Caching;

/// <summary>
/// Two databases whose caches share one Redis key prefix would serve each other's rows: each cache
/// records its database under the prefix, and a cache that finds another reports it.
/// </summary>
public sealed class DatabaseScopeTests
{
    [Theory]
    [InlineData("postgresql://app:s3cret@LocalHost:5432/shop", "Host=127.0.0.1;Database=shop;Username=other;Password=x", true)]
    [InlineData("Host=db.internal;Port=5433;Database=shop;Username=a", "postgresql://b@DB.Internal.:5433/shop", true)]
    [InlineData("postgresql://u:p@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require",
        "postgresql://u:p@ep-cool-darkness-123456.us-east-2.aws.neon.tech:5432/neondb?sslmode=require", true)]
    [InlineData("postgresql://u:p@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb",
        "postgresql://u:p@ep-preview-branch-654321.us-east-2.aws.neon.tech/neondb", false)]
    [InlineData("Host=localhost;Database=shop", "Host=localhost;Database=shop_staging", false)]
    [InlineData("Host=localhost;Port=5432;Database=shop", "Host=localhost;Port=5433;Database=shop", false)]
    public void The_scope_is_the_same_for_one_database_however_it_is_spelled_and_differs_between_databases(string a, string b, bool same)
    {
        var scopeA = DatabaseScope.Of(a);
        var scopeB = DatabaseScope.Of(b);
        Assert.NotNull(scopeA);
        Assert.Equal(same, scopeA == scopeB);
        Assert.DoesNotContain("s3cret", scopeA, StringComparison.Ordinal);
        Assert.DoesNotContain("app", scopeA!.Split('/')[0], StringComparison.Ordinal); // no user name
    }

    [Fact]
    public void A_connection_string_without_a_host_or_that_cannot_be_parsed_has_no_scope()
    {
        Assert.Null(DatabaseScope.Of(null));
        Assert.Null(DatabaseScope.Of("  "));
        Assert.Null(DatabaseScope.Of("postgresql://"));
        Assert.Equal("ep-x-1/neondb", DatabaseScope.Of("postgresql://u:p@ep-x-1-pooler.eu-central-1.aws.neon.tech/neondb"));
    }

    [Fact]
    public async Task Caches_of_two_databases_on_one_prefix_both_report_the_other_and_instances_of_one_database_do_not()
    {
        await using var instances = new CacheInstances();
        var shop = instances.New(o => { o.DatabaseScope = "db1:5432/shop"; o.DatabaseScopeInterval = TimeSpan.FromMilliseconds(200); });
        var shopTwo = instances.New(o => { o.DatabaseScope = "db1:5432/shop"; o.DatabaseScopeInterval = TimeSpan.FromMilliseconds(200); });
        await TestServices.WaitUntilAsync(() => Task.FromResult(shop.ScopeRegistry!.Checks >= 2 && shopTwo.ScopeRegistry!.Checks >= 2), TimeSpan.FromSeconds(10), "both instances checked twice");
        Assert.Empty(shop.DatabasesSharingKeyPrefix); // two instances of one database share a prefix by design
        Assert.Equal(HealthStatus.Healthy, (await new CacheHealthCheck(shop).CheckHealthAsync(new HealthCheckContext())).Status);

        // A preview branch's instance on the same Redis and application name.
        var preview = instances.New(o => { o.DatabaseScope = "ep-preview-1/shop"; o.DatabaseScopeInterval = TimeSpan.FromMilliseconds(200); });
        await TestServices.WaitUntilAsync(() => Task.FromResult(preview.DatabasesSharingKeyPrefix.Count > 0), TimeSpan.FromSeconds(10), "the newcomer sees the database already there");
        Assert.Equal(["db1:5432/shop"], preview.DatabasesSharingKeyPrefix);
        // The instances that were there first notice it at their next check.
        await TestServices.WaitUntilAsync(() => Task.FromResult(shop.DatabasesSharingKeyPrefix.Count > 0 && shopTwo.DatabasesSharingKeyPrefix.Count > 0), TimeSpan.FromSeconds(10), "the first database's instances see the newcomer");
        Assert.Equal(["ep-preview-1/shop"], shop.DatabasesSharingKeyPrefix);

        var health = await new CacheHealthCheck(shop).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("ep-preview-1/shop", health.Description, StringComparison.Ordinal);
        Assert.Contains("Caching:KeyPrefix", health.Description, StringComparison.Ordinal);
        Assert.Equal("ep-preview-1/shop", health.Data["sharedWith"]);
    }

    [Fact]
    public async Task A_record_older_than_the_longest_stale_value_is_not_reported_and_one_older_than_a_day_is_removed()
    {
        await using var instances = new CacheInstances();
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        var db = (await redis.TryGetDatabaseAsync())!;
        var key = DatabaseScopeRegistry.Key(instances.Prefix);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await db.HashSetAsync(key, [new HashEntry("old:5432/shop", now - 2 * 3600), new HashEntry("ancient:5432/shop", now - 2 * 86_400)]);

        var cache = instances.New(o => o.DatabaseScope = "db1:5432/shop");
        await TestServices.WaitUntilAsync(() => Task.FromResult(cache.ScopeRegistry!.Checks >= 1), TimeSpan.FromSeconds(10), "the first check");
        Assert.Empty(cache.DatabasesSharingKeyPrefix);
        var left = (await db.HashKeysAsync(key)).Select(k => (string)k!).Order().ToList();
        Assert.Equal(["db1:5432/shop", "old:5432/shop"], left);
        Assert.True(await db.KeyTimeToLiveAsync(key) > TimeSpan.FromHours(23)); // the record itself expires when no instance renews it
    }

    [Fact]
    public void The_scope_defaults_to_the_primarys_database_and_a_configured_one_wins()
    {
        static CacheOptions Options(Dictionary<string, string?> settings)
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            using var provider = new ServiceCollection().AddLogging().AddPgCaching(config).BuildServiceProvider();
            Assert.Contains(provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations, r => r.Name == "pgopt-cache");
            return provider.GetRequiredService<IOptions<CacheOptions>>().Value;
        }

        var derived = Options(new() { ["PGOPT_CONNECTION"] = "postgresql://app:s3cret@127.0.0.1:55432/shop" });
        Assert.Equal("localhost:55432/shop", derived.DatabaseScope);
        var configured = Options(new() { ["PGOPT_CONNECTION"] = "postgresql://app:s3cret@10.0.0.5:5432/shop", ["PgOptimizer:Caching:DatabaseScope"] = "shop-primary" });
        Assert.Equal("shop-primary", configured.DatabaseScope);
    }
}
