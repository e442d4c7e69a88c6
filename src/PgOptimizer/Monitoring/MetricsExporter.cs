using System.Globalization;
using System.Text;
using System.Text.Json;
using PgOptimizer.Connections;

namespace PgOptimizer.Monitoring;

/// <summary>
/// Writes what the connection manager and the server collector know in Prometheus text format
/// (base units, <c>pgopt_</c> prefix, counters ending in <c>_total</c>, ratios 0–1, low-cardinality
/// labels) or as JSON.
/// </summary>
public static class MetricsExporter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string ToPrometheus(IEnumerable<PgEndpoint> endpoints, ServerSnapshot? server, ServerInterval? interval = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var w = new PrometheusWriter();
        var eps = endpoints.ToList();

        w.Family("pgopt_pool_connections_busy", "gauge", "Connections handed out by the connection manager, per endpoint.");
        eps.ForEach(e => w.Sample("pgopt_pool_connections_busy", e.BusyConnections, ("endpoint", e.Name)));
        w.Family("pgopt_pool_connections_max", "gauge", "Maximum pool size, per endpoint.");
        eps.ForEach(e => w.Sample("pgopt_pool_connections_max", e.MaxPoolSize, ("endpoint", e.Name)));
        w.Family("pgopt_pool_connections_peak", "gauge", "Most connections in use at once since start, per endpoint.");
        eps.ForEach(e => w.Sample("pgopt_pool_connections_peak", e.PeakBusyConnections, ("endpoint", e.Name)));
        w.Family("pgopt_operations_total", "counter", "Operations started through the connection manager, per endpoint.");
        eps.ForEach(e => w.Sample("pgopt_operations_total", e.OperationsStarted, ("endpoint", e.Name)));
        w.Family("pgopt_circuit_open", "gauge", "1 when the endpoint's circuit breaker rejects calls (open or isolated), else 0.");
        eps.ForEach(e => w.Sample("pgopt_circuit_open", e.IsAvailable || e.CircuitState == Polly.CircuitBreaker.CircuitState.HalfOpen ? 0 : 1, ("endpoint", e.Name)));

        if (server is not null)
        {
            var d = server.Database;
            Counter(w, "pgopt_db_commits_total", "Committed transactions in this database.", d.Commits);
            Counter(w, "pgopt_db_rollbacks_total", "Rolled-back transactions in this database.", d.Rollbacks);
            Counter(w, "pgopt_db_blocks_hit_total", "Buffer cache hits.", d.BlocksHit);
            Counter(w, "pgopt_db_blocks_read_total", "Blocks read from disk (or the OS cache).", d.BlocksRead);
            Counter(w, "pgopt_db_deadlocks_total", "Deadlocks detected.", d.Deadlocks);
            Counter(w, "pgopt_db_temp_bytes_total", "Bytes written to temporary files.", d.TempBytes);
            Counter(w, "pgopt_db_rows_written_total", "Rows inserted, updated or deleted.", d.RowsInserted + d.RowsUpdated + d.RowsDeleted);

            var c = server.Connections;
            w.Family("pgopt_db_connections", "gauge", "Client connections to the server by state.");
            w.Sample("pgopt_db_connections", c.Active, ("state", "active"));
            w.Sample("pgopt_db_connections", c.Idle, ("state", "idle"));
            w.Sample("pgopt_db_connections", c.IdleInTransaction, ("state", "idle_in_transaction"));
            w.Sample("pgopt_db_connections", Math.Max(0, c.Total - c.Active - c.Idle - c.IdleInTransaction), ("state", "other"));
            Gauge(w, "pgopt_db_connections_max", "max_connections.", c.MaxConnections);
            Gauge(w, "pgopt_db_connection_usage_ratio", "Client connections as a share of max_connections (0-1).", c.Usage);
            Gauge(w, "pgopt_db_blocked_sessions", "Sessions waiting for a lock held by another.", c.Blocked);
            Gauge(w, "pgopt_db_longest_transaction_seconds", "Age of the oldest open transaction.", c.LongestTransactionSeconds ?? 0);
            Gauge(w, "pgopt_db_size_bytes", "Size of this database.", server.DatabaseBytes);
            Gauge(w, "pgopt_db_xid_age", "Age in transactions of the oldest unfrozen xid (wraparound at about 2 billion).", server.WraparoundAge);
            if (server.NeonFileCacheHitRatio is { } lfc)
            {
                Gauge(w, "pgopt_neon_file_cache_hit_ratio", "Neon local file cache hit ratio (0-1).", lfc);
            }

            w.Family("pgopt_replica_lag_bytes", "gauge", "WAL bytes a standby has yet to replay.");
            foreach (var r in server.Replicas)
            {
                w.Sample("pgopt_replica_lag_bytes", r.LagBytes, ("replica", r.Name));
            }

            w.Family("pgopt_replica_lag_seconds", "gauge", "Replay lag of a standby.");
            foreach (var r in server.Replicas.Where(r => r.ReplayLagSeconds is not null))
            {
                w.Sample("pgopt_replica_lag_seconds", r.ReplayLagSeconds!.Value, ("replica", r.Name));
            }

            w.Family("pgopt_table_dead_tuple_ratio", "gauge", "Dead tuples as a share of all tuples, for the tables with the most dead tuples (0-1).");
            foreach (var t in server.Tables)
            {
                w.Sample("pgopt_table_dead_tuple_ratio", t.DeadRatio, ("table", t.Table));
            }
        }

        if (interval?.CacheHitRatio is { } hit)
        {
            Gauge(w, "pgopt_db_cache_hit_ratio", "Buffer cache hit ratio over the last interval (0-1).", hit);
        }

        return w.ToString();
    }

    public static string ToJson(IEnumerable<PgEndpoint> endpoints, ServerSnapshot? server, ServerInterval? interval = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return JsonSerializer.Serialize(new
        {
            endpoints = endpoints.Select(e => new
            {
                e.Name, role = e.Role.ToString().ToLowerInvariant(), server = e.Description, circuit = e.CircuitState.ToString(),
                busy = e.BusyConnections, peak = e.PeakBusyConnections, max = e.MaxPoolSize, operations = e.OperationsStarted,
            }),
            server,
            interval = interval is null ? null : new
            {
                interval.From, interval.To, interval.Seconds, interval.CommitsPerSecond, interval.RollbacksPerSecond, interval.CacheHitRatio,
                interval.Deadlocks, interval.TempBytesPerSecond, interval.RowsWrittenPerSecond, interval.TopStatements,
            },
        }, Json);
    }

    private static void Counter(PrometheusWriter w, string name, string help, double value)
    {
        w.Family(name, "counter", help);
        w.Sample(name, value);
    }

    private static void Gauge(PrometheusWriter w, string name, string help, double value)
    {
        w.Family(name, "gauge", help);
        w.Sample(name, value);
    }

    private sealed class PrometheusWriter
    {
        private readonly StringBuilder _sb = new();

        public void Family(string name, string type, string help) =>
            _sb.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n')
               .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

        public void Sample(string name, double value, params (string Key, string Value)[] labels)
        {
            _sb.Append(name);
            if (labels.Length > 0)
            {
                _sb.Append('{').AppendJoin(',', labels.Select(l => $"{l.Key}=\"{Escape(l.Value)}\"")).Append('}');
            }

            _sb.Append(' ').Append(double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "NaN").Append('\n');
        }

        private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

        public override string ToString() => _sb.ToString();
    }
}
