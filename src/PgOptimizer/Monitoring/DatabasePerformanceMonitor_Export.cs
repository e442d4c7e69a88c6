using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Npgsql;

namespace PgOptimizer.Monitoring;

// Export: Prometheus and JSON exposition, and the observable gauges of the PgOptimizer meter.
public sealed partial class DatabasePerformanceMonitor
{
    /// <summary>
    /// The metrics in Prometheus text format or JSON: this instance's client figures (or all
    /// instances' with <paramref name="allInstances"/>), the latest server snapshot, alerts.
    /// </summary>
    public async Task<string> ExportMetricsAsync(MetricsFormat format = MetricsFormat.Prometheus, bool allInstances = false, CancellationToken cancellationToken = default)
    {
        var client = allInstances ? await AggregateAsync(cancellationToken).ConfigureAwait(false) : LocalSnapshot();
        if (_collector.Last is null || _time.GetUtcNow() - _collector.Last.At > _options.Interval)
        {
            try
            {
                await _collector.CollectAsync(!_collector.PollsOnlyWhenActive, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                LogServerUnavailable(_logger, ex.Message);
            }
        }

        var rotation = _rotation?.GetRotation();
        var routing = _connections.Replicas.Select(r => new EndpointRouting(r.Name, r.Lag?.Seconds, r.Lag?.Bytes, rotation is null ? null : !rotation.Out.Contains(r.Name))).ToList();
        var report = new MetricsReport(client, _collector.Last, _collector.LastInterval, _alerts.Active, LastHealth?.Overall, _options.TopStatements) { Routing = routing };
        return format == MetricsFormat.Json ? MetricsExporter.ToJson(report) : MetricsExporter.ToPrometheus(report);
    }

    /// <summary>
    /// Gauges on the PgOptimizer meter read at collection time, so OpenTelemetry and
    /// dotnet-counters see the figures the Prometheus exposition shows (the counters and
    /// histograms of commands are recorded where they happen).
    /// </summary>
    private void CreateObservableInstruments()
    {
        static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
        _meter.CreateObservableGauge("pgopt.db.pool.busy", () => _connections.Endpoints.Select(e => new Measurement<int>(e.BusyConnections, Tag("endpoint", e.Name))),
            "{connection}", "Connections handed out by the connection manager, per endpoint.");
        _meter.CreateObservableGauge("pgopt.db.pool.max", () => _connections.Endpoints.Select(e => new Measurement<int>(e.MaxPoolSize, Tag("endpoint", e.Name))),
            "{connection}", "Maximum pool size, per endpoint.");
        _meter.CreateObservableGauge("pgopt.db.circuit.open", () => _connections.Endpoints.Select(e => new Measurement<int>(e.CircuitState is Polly.CircuitBreaker.CircuitState.Open or Polly.CircuitBreaker.CircuitState.Isolated ? 1 : 0, Tag("endpoint", e.Name))),
            "{circuit}", "1 when the endpoint's circuit rejects calls.");
        _meter.CreateObservableGauge("pgopt.db.server.connection.usage", () => _collector.Last is { } s ? [new Measurement<double>(s.Connections.Usage)] : Array.Empty<Measurement<double>>(),
            "1", "Server connections as a share of max_connections (latest poll).");
        _meter.CreateObservableGauge("pgopt.db.server.cache.hit_ratio", () => _collector.LastInterval?.CacheHitRatio is { } h ? [new Measurement<double>(h)] : Array.Empty<Measurement<double>>(),
            "1", "Buffer cache hit ratio over the latest interval.");
        _meter.CreateObservableGauge("pgopt.db.replica.lag", () => (_collector.Last?.Replicas ?? []).Where(r => r.ReplayLagSeconds is not null).Select(r => new Measurement<double>(r.ReplayLagSeconds!.Value, Tag("replica", r.Name))),
            "s", "Replay lag of each standby (latest poll).");
        _meter.CreateObservableGauge("pgopt.health.status", () => LastHealth is { } h ? [new Measurement<int>((int)h.Overall)] : Array.Empty<Measurement<int>>(),
            "1", "Overall health of the last evaluation: 0 healthy, 1 warning, 2 critical.");
    }
}
