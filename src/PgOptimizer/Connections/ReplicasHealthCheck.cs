using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PgOptimizer.Connections;

/// <summary>Aggregate of the replicas' health: degraded when any is unhealthy, since reads fall back to the primary.</summary>
internal sealed class ReplicasHealthCheck(PgConnectionManager manager) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (manager.Replicas.Count == 0)
        {
            return HealthCheckResult.Healthy("no replicas configured");
        }

        var data = new Dictionary<string, object>();
        var bad = new List<string>();
        foreach (var replica in manager.Replicas)
        {
            var r = await new PgEndpointHealthCheck(replica).CheckHealthAsync(context, cancellationToken).ConfigureAwait(false);
            data[replica.Name] = r.Status.ToString();
            if (r.Status != HealthStatus.Healthy)
            {
                bad.Add($"{replica.Name}: {r.Description}");
            }
        }

        return bad.Count == 0
            ? HealthCheckResult.Healthy($"{manager.Replicas.Count} replica(s) healthy", data)
            : HealthCheckResult.Degraded(string.Join("; ", bad), data: data);
    }
}
