using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Indexing;

/// <summary>Wires index management.</summary>
public static class IndexingServiceCollectionExtensions
{
    /// <summary>Adds <see cref="IndexManager"/> (needs the connection manager).</summary>
    public static IServiceCollection AddPgIndexing(this IServiceCollection services, Action<IndexingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<IndexingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IndexingOptions>, IndexingOptionsValidator>());
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton<IndexManager>();
        return services;
    }
}
