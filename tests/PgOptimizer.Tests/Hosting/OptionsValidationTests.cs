using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
using PgOptimizer.Indexing;
using PgOptimizer.LoadTesting;
using PgOptimizer.Monitoring;

namespace PgOptimizer.Tests.Hosting;

/// <summary>Every area's options are checked the same way: attributes and rules, through DI and by hand.</summary>
public sealed class OptionsValidationTests
{
    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["PgOptimizer:Connections:ConnectionString"] = "Host=127.0.0.1;Database=x" }
                .Concat(settings.Select(s => new KeyValuePair<string, string?>("PgOptimizer:" + s.Key, s.Value))))
            .Build();
        return new ServiceCollection().AddLogging().AddPgOptimizer(config).AddPgOptimizerTools(config).BuildServiceProvider();
    }

    [Theory]
    [InlineData("Indexing:WorkloadTop", "0", "WorkloadTop")]
    [InlineData("Indexing:LockTimeout", "00:00:00", "LockTimeout")]
    [InlineData("Connections:MaxRetryAttempts", "99", "MaxRetryAttempts")]
    [InlineData("Connections:RetryMaxDelay", "00:00:00.010", "RetryMaxDelay")]
    [InlineData("Redis:Url", "http://nope", "redis://")]
    [InlineData("Monitoring:SlowQueryThreshold", "-00:00:01", "SlowQueryThreshold")]
    [InlineData("Monitoring:Alerts:error_rate:Critical", "0.1", "Alert 'error_rate'")]
    [InlineData("Caching:Strategies:user_profile:MemoryShare", "2", "Cache strategy 'user_profile'")]
    [InlineData("Caching:Channel", "Not A Channel", "Channel")]
    public void A_bad_setting_in_any_area_fails_through_di_and_names_the_setting(string key, string value, string named)
    {
        using var services = Build((key, value));
        var optionsTypes = new[] { typeof(IndexingOptions), typeof(ConnectionOptions), typeof(RedisOptions), typeof(MonitoringOptions), typeof(CacheOptions) };
        var failures = new List<string>();
        foreach (var type in optionsTypes)
        {
            try
            {
                var optionsType = typeof(IOptions<>).MakeGenericType(type);
                _ = optionsType.GetProperty("Value")!.GetValue(services.GetRequiredService(optionsType));
            }
            catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is OptionsValidationException invalid)
            {
                failures.Add(invalid.Message);
            }
        }

        var failure = Assert.Single(failures);
        Assert.Contains(named, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_valid_in_every_area()
    {
        using var services = Build();
        Assert.NotNull(services.GetRequiredService<IOptions<IndexingOptions>>().Value);
        Assert.NotNull(services.GetRequiredService<IOptions<ConnectionOptions>>().Value);
        Assert.NotNull(services.GetRequiredService<IOptions<RedisOptions>>().Value);
        Assert.NotNull(services.GetRequiredService<IOptions<MonitoringOptions>>().Value);
        Assert.NotNull(services.GetRequiredService<IOptions<CacheOptions>>().Value);
    }

    [Fact]
    public async Task A_host_with_bad_options_does_not_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgOptimizer:Connections:ConnectionString"] = "Host=127.0.0.1;Database=x",
            ["PgOptimizer:Indexing:CoverageWarning"] = "7",
        });
        builder.Services.AddPgOptimizer(builder.Configuration).AddPgOptimizerTools(builder.Configuration);
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("CoverageWarning", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_built_by_hand_checks_its_options_the_same_way()
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() =>
            new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = "Host=127.0.0.1", TotalTimeout = TimeSpan.FromSeconds(1) })));
        Assert.Contains("TotalTimeout", ex.Message, StringComparison.Ordinal);

        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = "Host=127.0.0.1" }));
        var indexing = Assert.Throws<PgOptimizerConfigurationException>(() => new IndexManager(manager, Options.Create(new IndexingOptions { WorkloadTop = 0 })));
        Assert.Contains("WorkloadTop", indexing.Message, StringComparison.Ordinal);

        var run = Assert.Throws<PgOptimizerConfigurationException>(() => new WorkloadOptions { Concurrency = 0 }.Validate());
        Assert.Contains("Concurrency", run.Message, StringComparison.Ordinal);
    }
}
