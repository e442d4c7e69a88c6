using Microsoft.Extensions.Hosting;

namespace PgOptimizer.Monitoring;

/// <summary>Runs <see cref="DatabasePerformanceMonitor.RunAsync"/> in a host.</summary>
internal sealed class MonitoringHostedService(DatabasePerformanceMonitor monitor) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => monitor.RunAsync(stoppingToken);
}
