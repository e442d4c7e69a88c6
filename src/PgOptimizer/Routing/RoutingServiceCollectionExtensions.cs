using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Routing;

/// <summary>Wires read-replica routing.</summary>
public static class RoutingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ReplicaRouter"/> as the connection manager's reader selector (lag-aware,
    /// read-your-writes, query types, strategies), replacing the default round robin.
    /// </summary>
    public static IServiceCollection AddPgRouting(this IServiceCollection services, Action<RoutingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<RoutingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>());
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton<ReplicaRouter>();
        services.Replace(ServiceDescriptor.Singleton<IReaderSelector>(sp => sp.GetRequiredService<ReplicaRouter>()));
        services.TryAddSingleton<IReplicaRotationSource>(sp => sp.GetRequiredService<ReplicaRouter>());
        return services;
    }

    /// <summary>Adds routing and the connections it routes, bound from the section's <c>Routing</c> part.</summary>
    public static IServiceCollection AddPgRouting(this IServiceCollection services, IConfiguration configuration, string sectionName = ConnectionsServiceCollectionExtensions.PgOptimizerSection)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPgConnections(configuration, sectionName);
        services.AddPgRouting();
        ConnectionsServiceCollectionExtensions.BindOnce<RoutingOptions>(services, configuration, sectionName, "Routing");
        return services;
    }
}
