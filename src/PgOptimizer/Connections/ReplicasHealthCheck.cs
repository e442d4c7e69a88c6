using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polly.CircuitBreaker;

namespace PgOptimizer.Connections;

/// <summary>
/// The replicas from state routing keeps anyway (circuits and the lag probe's last readings; no
/// query per check): Degraded when any is unreachable or its circuit open, since reads then fall
/// back to the other replicas or the primary. Never Unhealthy.
/// </summary>
internal sealed class ReplicasHealthCheck(PgConnectionManager manager) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (manager.Replicas.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("no replicas configured"));
        }

        var data = new Dictionary<string, object>();
        var bad = new List<string>();
        foreach (var replica in manager.Replicas)
        {
            string? problem = replica.CircuitState is CircuitState.Open or CircuitState.Isolated
                ? $"circuit {replica.CircuitState}"
                : replica.Lag?.Error;
            data[replica.Name] = problem ?? (replica.Lag?.Seconds is { } s ? $"lag {s:0.###} s" : "ok");
            if (problem is not null)
            {
                bad.Add($"{replica.Name}: {problem}");
            }
        }

        return Task.FromResult(bad.Count == 0
            ? HealthCheckResult.Healthy($"{manager.Replicas.Count} replica(s) available", data)
            : HealthCheckResult.Degraded(string.Join("; ", bad), data: data));
    }
}
