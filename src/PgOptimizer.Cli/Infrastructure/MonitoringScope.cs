using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Monitoring;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>
/// Monitoring as in an application while a command serves traffic: the client-side figures, cache
/// statistics and slow queries are published to Redis (when configured) every interval and once more
/// at the end, so `pgopt health`, `pgopt slow` and `pgopt cache stats` in another terminal see the run.
/// </summary>
internal sealed class MonitoringScope : IAsyncDisposable
{
    private readonly DatabasePerformanceMonitor _monitor;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private MonitoringScope(DatabasePerformanceMonitor monitor)
    {
        _monitor = monitor;
        _loop = monitor.RunAsync(_stop.Token);
    }

    public static MonitoringScope Start(IServiceProvider services) => new(services.GetRequiredService<DatabasePerformanceMonitor>());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        await _monitor.PublishAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }
}
