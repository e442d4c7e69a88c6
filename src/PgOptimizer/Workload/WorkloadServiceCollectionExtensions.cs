using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PgOptimizer.Workload;

/// <summary>Wires what describes an application's statements.</summary>
public static class WorkloadServiceCollectionExtensions
{
    /// <summary>Adds <see cref="StatementStatisticsReader"/> (needs the connection manager).</summary>
    public static IServiceCollection AddPgWorkload(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<StatementStatisticsReader>();
        return services;
    }
}
