using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

public static class LoadTestingServiceCollectionExtensions
{
    /// <summary>Adds <see cref="WorkloadRunner"/> and <see cref="WorkloadOptions"/>.</summary>
    public static IServiceCollection AddPgLoadTesting(this IServiceCollection services, Action<WorkloadOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<WorkloadOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton<WorkloadRunner>();
        return services;
    }
}
