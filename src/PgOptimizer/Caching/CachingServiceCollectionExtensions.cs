using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Caching;

/// <summary>Wires the two-tier cache.</summary>
public static class CachingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the two-tier cache (<see cref="SmartCache"/>, which monitoring also reads as the cache
    /// statistics source), <see cref="CacheTriggers"/>, and hosted services for warm-up at start and,
    /// when tables are configured, database-driven invalidation. Needs the connection manager and
    /// RedisConnection (AddPgConnections).
    /// </summary>
    public static IServiceCollection AddPgCaching(this IServiceCollection services, Action<CacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<CacheOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>());
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        // The database the values come from, unless configured: the primary's (see DatabaseScope).
        builder.PostConfigure<IOptions<ConnectionOptions>>((cache, connections) =>
        {
            try
            {
                cache.DatabaseScope ??= Caching.DatabaseScope.Of(connections.Value.ConnectionString);
            }
            catch (OptionsValidationException)
            {
                // the connection settings' own validation reports it, once
            }
        });
        services.TryAddSingleton<SmartCache>();
        services.TryAddSingleton<ICacheStatisticsSource>(sp => sp.GetRequiredService<SmartCache>());
        services.TryAddSingleton<CacheTriggers>();
        services.TryAddSingleton<CacheInvalidationListener>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CacheHostedService>());
        if (!services.Any(d => d.ServiceType == typeof(CacheHealthCheck)))
        {
            services.AddSingleton<CacheHealthCheck>();
            services.AddHealthChecks().Add(new HealthCheckRegistration("pgopt-cache", sp => sp.GetRequiredService<CacheHealthCheck>(), HealthStatus.Degraded,
                [HealthTags.PgOptimizer, HealthTags.Ready]));
        }

        return services;
    }

    /// <summary>
    /// Adds the cache and what it needs (connections and Redis, <see cref="ConnectionsServiceCollectionExtensions.AddPgConnections(IServiceCollection, IConfiguration, string)"/>),
    /// bound from the section's <c>Caching</c> part.
    /// </summary>
    public static IServiceCollection AddPgCaching(this IServiceCollection services, IConfiguration configuration, string sectionName = ConnectionsServiceCollectionExtensions.PgOptimizerSection)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPgConnections(configuration, sectionName);
        services.AddPgCaching();
        ConnectionsServiceCollectionExtensions.BindOnce<CacheOptions>(services, configuration, sectionName, "Caching");
        return services;
    }
}
