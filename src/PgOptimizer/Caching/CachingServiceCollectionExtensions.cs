using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using PgOptimizer.Diagnostics;

namespace PgOptimizer.Caching;

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

        services.TryAddSingleton<SmartCache>();
        services.TryAddSingleton<ICacheStatisticsSource>(sp => sp.GetRequiredService<SmartCache>());
        services.TryAddSingleton<CacheTriggers>();
        services.TryAddSingleton<CacheInvalidationListener>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CacheHostedService>());
        return services;
    }
}

/// <summary>Warms the cache at start and runs the invalidation listener when tables are configured.</summary>
internal sealed class CacheHostedService(IServiceProvider services, IOptions<CacheOptions> options) : IHostedService
{
    private CacheInvalidationListener? _listener;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Tables.Count > 0)
        {
            _listener = services.GetRequiredService<CacheInvalidationListener>();
            await _listener.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        if (options.Value.WarmupOnStart)
        {
            await services.GetRequiredService<SmartCache>().WarmupAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => _listener?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
