using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Cost;
using PgOptimizer.Indexing;
using PgOptimizer.LoadTesting;
using PgOptimizer.Monitoring;
using PgOptimizer.Routing;
using PgOptimizer.Workload;

namespace PgOptimizer.Hosting;

/// <summary>
/// One call for what a service needs at run time (connections and readiness, routing, monitoring,
/// the cache), and one for the operator's tools (indexes, workload, load testing, deploy).
/// </summary>
public static class PgOptimizerServiceCollectionExtensions
{
    /// <summary>
    /// Adds connections (with readiness and Redis), replica routing, monitoring, the two-tier
    /// cache and the Neon cost optimizer (whose budget feeds monitoring's alert), bound from the configuration section (default "PgOptimizer"), with the environment's
    /// PGOPT_CONNECTION / NEON_DATABASE_URL / PGOPT_REPLICA_CONNECTIONS / REDIS_URL / PGOPT_APPLICATION
    /// as fallbacks. The tools (indexes, workload, load testing, deploy) and their services are not
    /// added: <see cref="AddPgOptimizerTools"/> adds them. Each part can also be added alone
    /// (AddPgConnections, AddPgCaching, AddPgMonitoring, AddPgRouting, AddPgCost).
    /// </summary>
    public static IServiceCollection AddPgOptimizer(this IServiceCollection services, IConfiguration configuration, string sectionName = ConnectionsServiceCollectionExtensions.PgOptimizerSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPgConnections(configuration, sectionName);
        services.AddPgRouting(configuration, sectionName);
        services.AddPgMonitoring(configuration, sectionName);
        services.AddPgCaching(configuration, sectionName);
        services.AddPgCost(configuration, sectionName);
        services.TryAddSingleton<Doctor>();
        return services;
    }

    /// <summary>Adds connections, routing, monitoring and the cache configured in code.</summary>
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
        services.AddPgMonitoring(configureMonitoring);
        services.AddPgCaching(configureCaching);
        services.TryAddSingleton<Doctor>();
        if (configureRedis is not null)
        {
            services.Configure(configureRedis);
        }

        return services;
    }

    /// <summary>
    /// Adds the operator's tools on top of <see cref="AddPgOptimizer(IServiceCollection, IConfiguration, string)"/>:
    /// indexes as code and the advisor (section "Indexing"), the workload runner, the load tester,
    /// the doctor and the deployer. The <c>pgopt</c> command line uses them; a web service rarely needs them.
    /// </summary>
    public static IServiceCollection AddPgOptimizerTools(this IServiceCollection services, IConfiguration? configuration = null, string sectionName = ConnectionsServiceCollectionExtensions.PgOptimizerSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddPgIndexing();
        if (configuration is not null)
        {
            ConnectionsServiceCollectionExtensions.BindOnce<IndexingOptions>(services, configuration, sectionName, "Indexing");
        }

        services.AddPgWorkload();
        services.AddPgLoadTesting();
        services.TryAddSingleton<Doctor>();
        services.TryAddSingleton<Deployer>();
        return services;
    }
}
