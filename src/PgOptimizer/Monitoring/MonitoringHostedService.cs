using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Monitoring;

/// <summary>Runs <see cref="DatabasePerformanceMonitor.RunAsync"/> in a host.</summary>
public sealed class MonitoringHostedService(DatabasePerformanceMonitor monitor) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => monitor.RunAsync(stoppingToken);
}
