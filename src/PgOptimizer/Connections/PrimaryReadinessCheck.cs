using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polly.CircuitBreaker;

namespace PgOptimizer.Connections;

/// <summary>
/// Readiness of the primary from the background probe's last reading (no query per check, unless
/// the reading is missing or stale because nothing runs the probe): Unhealthy when the primary does
/// not answer, its pool is exhausted or its circuit is open; Degraded when the pool is over 80 % busy.
/// </summary>
internal sealed class PrimaryReadinessCheck(PgConnectionManager manager, PrimaryReadinessProbe probe, TimeProvider? time = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var primary = manager.Primary;
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var reading = probe.Last;
        if (reading is null || now - reading.At > probe.MaxAge)
        {
            reading = await probe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        }

        var usage = primary.MaxPoolSize == 0 ? 0 : (double)primary.BusyConnections / primary.MaxPoolSize;
        var data = new Dictionary<string, object>
        {
            ["endpoint"] = primary.Name,
            ["server"] = primary.Description,
            ["answered"] = reading.Answered,
            ["probed_at"] = reading.At,
            ["circuit"] = primary.CircuitState.ToString(),
            ["pool_busy"] = primary.BusyConnections,
            ["pool_max"] = primary.MaxPoolSize,
            ["pool_usage"] = Math.Round(usage, 3),
        };
        if (reading.LatencyMs is { } latency)
        {
            data["latency_ms"] = latency;
        }

        if (primary.CircuitState is CircuitState.Open or CircuitState.Isolated)
        {
            return HealthCheckResult.Unhealthy($"{primary.Name}: circuit is {primary.CircuitState} after repeated failures", data: data);
        }

        if (!reading.Answered)
        {
            return HealthCheckResult.Unhealthy($"{primary.Name}: {reading.Error}", data: data);
        }

        return usage > 0.8 || primary.CircuitState == CircuitState.HalfOpen
            ? HealthCheckResult.Degraded($"{primary.Name}: pool {usage:P0} busy, circuit {primary.CircuitState}", data: data)
            : HealthCheckResult.Healthy($"{primary.Name}: answered in {reading.LatencyMs:0.#} ms", data);
    }
}
