using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PgOptimizer.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    /// <summary>Adds <see cref="ServerStatsCollector"/> (needs the connection manager).</summary>
    public static IServiceCollection AddPgMonitoring(this IServiceCollection services, Action<MonitoringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<MonitoringOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton<ServerStatsCollector>();
        return services;
    }
}
