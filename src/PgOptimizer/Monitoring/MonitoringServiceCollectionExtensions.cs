using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using PgOptimizer.Connections;

namespace PgOptimizer.Monitoring;

/// <summary>Wires monitoring.</summary>
public static class MonitoringServiceCollectionExtensions
{
    /// <summary>
    /// Adds monitoring: <see cref="ServerStatsCollector"/>, <see cref="QueryTracker"/> (client-side
    /// query tracking starts when it is first resolved, which the hosted service does at start-up),
    /// <see cref="DatabasePerformanceMonitor"/> and a hosted service that evaluates and publishes
    /// every interval. Needs the connection manager (and Redis for cross-instance figures).
    /// </summary>
    public static IServiceCollection AddPgMonitoring(this IServiceCollection services, Action<MonitoringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<MonitoringOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MonitoringOptions>, MonitoringOptionsValidator>());
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton<ServerStatsCollector>();
        services.TryAddSingleton<QueryTracker>();
        services.TryAddSingleton<DatabasePerformanceMonitor>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MonitoringHostedService>());
        if (!services.Any(d => d.ServiceType == typeof(PerformanceHealthCheck)))
        {
            services.AddSingleton<PerformanceHealthCheck>();
            services.AddHealthChecks().Add(new HealthCheckRegistration("pgopt-performance", sp => sp.GetRequiredService<PerformanceHealthCheck>(), HealthStatus.Degraded,
                [HealthTags.PgOptimizer, HealthTags.Ready, HealthTags.Performance]));
        }
        return services;
    }

    /// <summary>
    /// Adds monitoring and what it needs (connections and Redis, <see cref="ConnectionsServiceCollectionExtensions.AddPgConnections(IServiceCollection, IConfiguration, string)"/>),
    /// bound from the section's <c>Monitoring</c> part.
    /// </summary>
    public static IServiceCollection AddPgMonitoring(this IServiceCollection services, IConfiguration configuration, string sectionName = ConnectionsServiceCollectionExtensions.PgOptimizerSection)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPgConnections(configuration, sectionName);
        services.AddPgMonitoring();
        ConnectionsServiceCollectionExtensions.BindOnce<MonitoringOptions>(services, configuration, sectionName, "Monitoring");
        return services;
    }
}
