using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;
using PgOptimizer.LoadTesting;
using PgOptimizer.Monitoring;
using PgOptimizer.Routing;
using PgOptimizer.Workload;

namespace PgOptimizer.Hosting;

/// <summary>One call that wires every PgOptimizer concern.</summary>
public static class PgOptimizerServiceCollectionExtensions
{
    /// <summary>
    /// Adds all of PgOptimizer, bound from the configuration section (default "PgOptimizer"), with
    /// the environment's PGOPT_CONNECTION / NEON_DATABASE_URL / REDIS_URL as fallbacks.
    /// </summary>
    public static IServiceCollection AddPgOptimizer(this IServiceCollection services, IConfiguration configuration, string sectionName = "PgOptimizer")
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(sectionName);
        services.AddPgConnections(section);
        services.AddPgRouting();
        services.Configure<RoutingOptions>(section.GetSection("Routing"));
        services.AddPgIndexing();
        services.Configure<IndexingOptions>(section.GetSection("Indexing"));
        services.AddPgWorkload();
        services.AddPgLoadTesting();
        services.AddPgMonitoring();
        services.Configure<MonitoringOptions>(section.GetSection("Monitoring"));
        services.AddPgCaching();
        services.Configure<CacheOptions>(section.GetSection("Caching"));
        services.PostConfigure<ConnectionOptions>(o =>
        {
            o.ConnectionString ??= configuration["PGOPT_CONNECTION"] ?? configuration["NEON_DATABASE_URL"];
            if (o.ReplicaConnectionStrings.Count == 0 && configuration["PGOPT_REPLICA_CONNECTIONS"] is { Length: > 0 } replicas)
            {
                foreach (var r in SplitList(replicas))
                {
                    o.ReplicaConnectionStrings.Add(r);
                }
            }
        });
        services.PostConfigure<RedisOptions>(o => o.Url ??= configuration["REDIS_URL"]);
        AddHostingServices(services);
        return services;
    }

    /// <summary>Adds all of PgOptimizer configured in code.</summary>
    public static IServiceCollection AddPgOptimizer(
        this IServiceCollection services,
        Action<ConnectionOptions> configureConnections,
        Action<RedisOptions>? configureRedis = null,
        Action<MonitoringOptions>? configureMonitoring = null,
        Action<CacheOptions>? configureCaching = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddPgConnections(configureConnections);
        services.AddPgRouting();
        services.AddPgIndexing();
        services.AddPgWorkload();
        services.AddPgLoadTesting();
        services.AddPgMonitoring(configureMonitoring);
        services.AddPgCaching(configureCaching);
        AddHostingServices(services);
        if (configureRedis is not null)
        {
            services.Configure(configureRedis);
        }

        return services;
    }

    /// <summary>The services that span concerns: the doctor (checks every concern's prerequisites) and the deployer.</summary>
    private static void AddHostingServices(IServiceCollection services)
    {
        services.TryAddSingleton<Doctor>();
        services.TryAddSingleton<Deployer>();
    }

    /// <summary>Splits a whitespace-separated list of connection strings (URIs have no spaces).</summary>
    public static IEnumerable<string> SplitList(string value) =>
        (value ?? string.Empty).Split([' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
