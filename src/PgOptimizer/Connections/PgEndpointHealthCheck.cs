using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Polly.CircuitBreaker;

namespace PgOptimizer.Connections;

/// <summary>
/// Health of one endpoint: a round trip through its pool (latency), whether it is in recovery,
/// pool usage and circuit state. Degraded when the pool is over 80 % busy or the circuit is half-open.
/// </summary>
public sealed class PgEndpointHealthCheck(PgEndpoint endpoint) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["endpoint"] = endpoint.Name,
            ["server"] = endpoint.Description,
            ["circuit"] = endpoint.CircuitState.ToString(),
            ["pool_busy"] = endpoint.BusyConnections,
            ["pool_max"] = endpoint.MaxPoolSize,
            ["pool_usage"] = endpoint.MaxPoolSize == 0 ? 0 : (double)endpoint.BusyConnections / endpoint.MaxPoolSize,
        };

        if (endpoint.CircuitState is CircuitState.Open or CircuitState.Isolated)
        {
            return HealthCheckResult.Unhealthy($"{endpoint.Name}: circuit is {endpoint.CircuitState}", data: data);
        }

        try
        {
            var start = Stopwatch.GetTimestamp();
            await using var cmd = endpoint.DataSource.CreateCommand("SELECT pg_is_in_recovery()");
            var inRecovery = (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            var latency = Stopwatch.GetElapsedTime(start);
            data["latency_ms"] = Math.Round(latency.TotalMilliseconds, 3);
            data["in_recovery"] = inRecovery;

            if (endpoint.Role == EndpointRole.Primary && inRecovery)
            {
                return HealthCheckResult.Unhealthy($"{endpoint.Name} is in recovery (a standby), so it cannot take writes", data: data);
            }

            var usage = (double)data["pool_usage"];
            if (usage > 0.8 || endpoint.CircuitState == CircuitState.HalfOpen)
            {
                return HealthCheckResult.Degraded($"{endpoint.Name}: pool {usage:P0} busy, circuit {endpoint.CircuitState}", data: data);
            }

            return HealthCheckResult.Healthy($"{endpoint.Name}: {latency.TotalMilliseconds:F1} ms", data);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{endpoint.Name}: {ex.Message}", data: data);
        }
    }
}
