using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Caching;

/// <summary>
/// Runs the invalidation listener when tables are configured, and the warm-up in the background:
/// the host starts listening at once, and requests arriving during the warm-up are served (their
/// misses and the warm-up's loads of the same key share one factory run).
/// </summary>
internal sealed class CacheHostedService(IServiceProvider services, IOptions<CacheOptions> options) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private CacheInvalidationListener? _listener;
    private Task? _warmup;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Tables.Count > 0)
        {
            _listener = services.GetRequiredService<CacheInvalidationListener>();
            await _listener.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        if (options.Value.WarmupOnStart)
        {
            var cache = services.GetRequiredService<SmartCache>();
            _warmup = Task.Run(() => cache.WarmupAsync(_stop.Token), CancellationToken.None);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_warmup is not null)
        {
            try
            {
                await _warmup.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopped mid warm-up
            }
        }

        if (_listener is not null)
        {
            await _listener.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _stop.Dispose();
}
