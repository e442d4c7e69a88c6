using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PgOptimizer.Monitoring;

/// <summary>
/// Performance alerts from the monitor's last evaluation (no query, and the alert windows are
/// not touched): Degraded while an alert fires, Healthy otherwise. Never Unhealthy: a cold cache or
/// slow queries must not take a working instance out of the load balancer.
/// </summary>
internal sealed class PerformanceHealthCheck(DatabasePerformanceMonitor monitor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (monitor.LastHealth is not { } health)
        {
            return Task.FromResult(HealthCheckResult.Healthy("not evaluated yet"));
        }

        var firing = health.Alerts.Where(a => a.State == AlertState.Firing).ToList();
        var data = new Dictionary<string, object>
        {
            ["evaluated_at"] = health.At,
            ["overall"] = health.Overall.ToString(),
        };
        foreach (var a in firing)
        {
            data[a.Name] = $"{a.Severity}: {a.Message}";
        }

        return Task.FromResult(firing.Count == 0
            ? HealthCheckResult.Healthy("no alert firing", data)
            : HealthCheckResult.Degraded(string.Join("; ", firing.Select(a => $"{a.Name} ({a.Severity})")), data: data));
    }
}
