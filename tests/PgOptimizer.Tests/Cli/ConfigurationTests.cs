using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Hosting;
using PgOptimizer.LoadTesting;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgopt-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteAppSettings(string json)
    {
        var path = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Flags_win_over_environment_which_wins_over_appsettings()
    {
        var file = WriteAppSettings("""
            { "PgOptimizer": { "Connections": { "ConnectionString": "postgresql://file@filehost/db", "ReplicaConnectionStrings": [ "postgresql://file@replica/db" ] },
                               "Redis": { "Url": "redis://filehost:6379/1" } } }
            """);
        var env = new Dictionary<string, string?>
        {
            ["PGOPT_CONNECTION"] = "postgresql://env@envhost/db",
            ["NEON_DATABASE_URL"] = "postgresql://neon@ep-x-1.us-east-2.aws.neon.tech/db",
            ["REDIS_URL"] = "redis://envhost:6379/2",
        };

        var fromFlags = CliRuntime.Resolve(new DatabaseSettings { ConfigFile = file, Connection = "postgresql://flag@flaghost/db", Redis = "redis://flaghost:6379/3" }, env);
        Assert.Equal("postgresql://flag@flaghost/db", fromFlags.Connection);
        Assert.Equal("--connection", fromFlags.ConnectionSource);
        Assert.Equal("redis://flaghost:6379/3", fromFlags.Redis);

        Assert.Empty(fromFlags.Replicas); // replicas of another layer's primary are not mixed in

        var fromEnv = CliRuntime.Resolve(new DatabaseSettings { ConfigFile = file }, env);
        Assert.Equal("postgresql://env@envhost/db", fromEnv.Connection);
        Assert.Equal("redis://envhost:6379/2", fromEnv.Redis);
        Assert.Empty(fromEnv.Replicas);
        var withEnvReplicas = CliRuntime.Resolve(new DatabaseSettings { ConfigFile = file }, new Dictionary<string, string?>(env) { ["PGOPT_REPLICA_CONNECTIONS"] = "postgresql://r1@h/db postgresql://r2@h/db" });
        Assert.Equal(["postgresql://r1@h/db", "postgresql://r2@h/db"], withEnvReplicas.Replicas);

        var fromNeon = CliRuntime.Resolve(new DatabaseSettings { ConfigFile = file }, new Dictionary<string, string?> { ["NEON_DATABASE_URL"] = env["NEON_DATABASE_URL"] });
        Assert.Equal("NEON_DATABASE_URL", fromNeon.ConnectionSource);

        var fromFile = CliRuntime.Resolve(new DatabaseSettings { ConfigFile = file }, new Dictionary<string, string?>());
        Assert.Equal("postgresql://file@filehost/db", fromFile.Connection);
        Assert.Equal(["postgresql://file@replica/db"], fromFile.Replicas);
        Assert.Equal("redis://filehost:6379/1", fromFile.Redis);
    }

    [Fact]
    public void Bad_values_are_rejected_before_anything_connects()
    {
        var env = new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = "postgresql://u:pw@h:0/db" };
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => CliRuntime.Resolve(new DatabaseSettings(), env));
        Assert.Contains("PGOPT_CONNECTION", ex.Message, StringComparison.Ordinal);
        Assert.Throws<PgOptimizerConfigurationException>(() => CliRuntime.Resolve(new DatabaseSettings { Redis = "memcached://x" }, new Dictionary<string, string?>()));
        Assert.Throws<PgOptimizerConfigurationException>(() => CliRuntime.Resolve(new DatabaseSettings { ConfigFile = Path.Combine(_dir, "missing.json") }, new Dictionary<string, string?>()));
    }

    [Fact]
    public async Task AddPgOptimizer_binds_configuration_and_registers_working_health_checks()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgOptimizer:Connections:MaxRetryAttempts"] = "5",
            ["PgOptimizer:Connections:BreakerBreakDuration"] = "00:00:07",
            ["PgOptimizer:Redis:ApplicationName"] = "config-test-" + Guid.NewGuid().ToString("N")[..8], // a cache key prefix no other test's database uses
            ["PgOptimizer:Monitoring:SlowQueryThreshold"] = "00:00:00.250",
            ["PgOptimizer:Caching:Strategies:hot_reads:Duration"] = "00:00:20",
            ["PgOptimizer:Caching:Strategies:hot_reads:Compress"] = "true",
            ["PgOptimizer:Monitoring:Alerts:connection_usage:Warning"] = "50",
            ["PgOptimizer:Monitoring:Alerts:connection_usage:For"] = "00:00:30",
            ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection,
            ["PGOPT_REPLICA_CONNECTIONS"] = TestServices.ReplicaConnection,
            ["REDIS_URL"] = TestServices.RedisUrl,
        }).Build();
        var services = new ServiceCollection().AddLogging().AddPgOptimizer(config).AddPgOptimizerTools(config);
        await using var provider = services.BuildServiceProvider();

        var manager = provider.GetRequiredService<PgConnectionManager>();
        Assert.Equal(5, manager.Options.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(7), manager.Options.BreakerBreakDuration);
        Assert.Single(manager.Replicas);
        Assert.Equal(TestServices.RedisUrl, provider.GetRequiredService<IOptions<RedisOptions>>().Value.Url);

        Assert.NotNull(provider.GetRequiredService<PgOptimizer.Indexing.IndexManager>());
        Assert.NotNull(provider.GetRequiredService<WorkloadRunner>());
        Assert.NotNull(provider.GetRequiredService<Doctor>());
        var monitoring = provider.GetRequiredService<IOptions<PgOptimizer.Monitoring.MonitoringOptions>>().Value;
        Assert.Equal(TimeSpan.FromMilliseconds(250), monitoring.SlowQueryThreshold);
        Assert.Equal((50, 90), (monitoring.Alerts["connection_usage"].Warning, monitoring.Alerts["connection_usage"].Critical));
        Assert.Equal(TimeSpan.FromSeconds(30), monitoring.Alerts["connection_usage"].For);
        Assert.Equal(500, monitoring.Alerts["avg_query_time"].Critical); // the other defaults stay
        Assert.NotNull(provider.GetRequiredService<PgOptimizer.Monitoring.DatabasePerformanceMonitor>());
        var cache = provider.GetRequiredService<PgOptimizer.Caching.SmartCache>();
        Assert.Contains("hot_reads", cache.StrategyNames);
        Assert.Contains(PgOptimizer.Caching.CacheStrategies.PitchDetails, cache.StrategyNames); // the predefined ones stay
        Assert.Same(cache, provider.GetRequiredService<ICacheStatisticsSource>());

        await cache.ConnectRedisAsync(); // until Redis is attached the cache's check says Degraded
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.True(report.Status == HealthStatus.Healthy, string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description}")));
        Assert.Equal("memory and Redis tiers", report.Entries["pgopt-cache"].Description);
        Assert.Contains("pgopt-primary", report.Entries.Keys);
        Assert.Contains("pgopt-replicas", report.Entries.Keys);
        Assert.Contains("pgopt-performance", report.Entries.Keys);
        Assert.True((double)report.Entries["pgopt-primary"].Data["latency_ms"] > 0); // no host runs the probe: the check probed once itself
    }
}
