using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PgOptimizer.LoadTesting;

/// <summary>Wires the load tester.</summary>
public static class LoadTestingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="LoadTestService"/> (needs the connection manager, the cache and index
    /// management), <see cref="WorkloadRunner"/> and <see cref="WorkloadOptions"/>.
    /// </summary>
    public static IServiceCollection AddPgLoadTesting(this IServiceCollection services, Action<WorkloadOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<WorkloadOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkloadOptions>, WorkloadOptionsValidator>());
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton<WorkloadRunner>();
        services.TryAddSingleton<LoadTestService>();
        return services;
    }
}
