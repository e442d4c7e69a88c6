using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Caching;

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
