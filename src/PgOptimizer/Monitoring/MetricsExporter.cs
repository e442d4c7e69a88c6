using System.Globalization;
using System.Text;
using System.Text.Json;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

/// <summary>
/// Writes what the connection manager and the server collector know in Prometheus text format
/// (base units, <c>pgopt_</c> prefix, counters ending in <c>_total</c>, ratios 0–1, low-cardinality
/// labels) or as JSON.
/// </summary>
internal static class MetricsExporter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ToPrometheus(MetricsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var w = new PrometheusWriter();
        var client = report.Client;
        Gauge(w, "pgopt_instances", "Application instances whose client-side figures are included.", client.Instances);

        w.Family("pgopt_pool_connections_busy", "gauge", "Connections handed out by the connection manager, per endpoint.");
        foreach (var p in client.Pools)
        {
            w.Sample("pgopt_pool_connections_busy", p.Busy, ("endpoint", p.Name));
        }

        w.Family("pgopt_pool_connections_idle", "gauge", "Idle physical connections the pool keeps open, per endpoint.");
        foreach (var p in client.Pools)
        {
            w.Sample("pgopt_pool_connections_idle", p.Idle, ("endpoint", p.Name));
        }

        w.Family("pgopt_pool_connections_max", "gauge", "Maximum pool size, per endpoint.");
        foreach (var p in client.Pools)
        {
            w.Sample("pgopt_pool_connections_max", p.Max, ("endpoint", p.Name));
        }

        w.Family("pgopt_pool_connections_peak", "gauge", "Most connections in use at once since start, per endpoint.");
        foreach (var p in client.Pools)
        {
            w.Sample("pgopt_pool_connections_peak", p.Peak, ("endpoint", p.Name));
        }

        w.Family("pgopt_operations_total", "counter", "Operations started through the connection manager, per endpoint.");
        foreach (var p in client.Pools)
        {
            w.Sample("pgopt_operations_total", p.Operations, ("endpoint", p.Name));
        }

        w.Family("pgopt_circuit_open", "gauge", "1 when the endpoint's circuit breaker rejects calls (open or isolated), else 0.");
        foreach (var p in client.Pools)
        {
            w.Sample("pgopt_circuit_open", p.Circuit is "Open" or "Isolated" ? 1 : 0, ("endpoint", p.Name));
        }

        w.Family("pgopt_pool_wait_seconds", "histogram", "Time callers waited for a connection from the pool, per endpoint.");
        foreach (var p in client.Pools)
        {
            w.Histogram("pgopt_pool_wait_seconds", LatencyHistogram.Decode(p.WaitHistogram), ("endpoint", p.Name));
        }

        w.Family("pgopt_query_duration_seconds", "histogram", "Duration of commands as the application saw them, per endpoint.");
        foreach (var e in client.Endpoints)
        {
            w.Histogram("pgopt_query_duration_seconds", LatencyHistogram.Decode(e.Histogram), ("endpoint", e.Name));
        }

        w.Family("pgopt_query_errors_total", "counter", "Commands that failed, per endpoint.");
        foreach (var e in client.Endpoints)
        {
            w.Sample("pgopt_query_errors_total", e.Errors, ("endpoint", e.Name));
        }

        Counter(w, "pgopt_slow_queries_total", "Commands slower than the slow-query threshold.", client.SlowQueries);

        var top = client.Statements.OrderByDescending(s => s.TotalMs).Take(report.TopStatements).ToList();
        w.Family("pgopt_statement_calls_total", "counter", "Calls of the statements taking the most time (label: stable id of the normalized statement).");
        top.ForEach(s => w.Sample("pgopt_statement_calls_total", s.Calls, ("statement_id", s.Id)));
        w.Family("pgopt_statement_errors_total", "counter", "Failed calls of the statements taking the most time.");
        top.ForEach(s => w.Sample("pgopt_statement_errors_total", s.Errors, ("statement_id", s.Id)));
        w.Family("pgopt_statement_seconds_total", "counter", "Time spent in the statements taking the most time.");
        top.ForEach(s => w.Sample("pgopt_statement_seconds_total", s.TotalMs / 1000.0, ("statement_id", s.Id)));
        // An info metric, joinable on statement_id: PromQL "... * on(statement_id) group_left(statement) pgopt_statement_info".
        w.Family("pgopt_statement_info", "gauge", "The normalized text of each statement id above (parameters as ?, never values), shortened to 300 characters; always 1.");
        top.ForEach(s => w.Sample("pgopt_statement_info", 1, ("statement_id", s.Id), ("statement", Shorten(s.Sql, 300))));

        if (client.Cache.Count > 0)
        {
            w.Family("pgopt_cache_hits_total", "counter", "Cache hits per strategy and tier (memory, redis).");
            foreach (var c in client.Cache)
            {
                w.Sample("pgopt_cache_hits_total", c.MemoryHits, ("strategy", c.Strategy), ("tier", "memory"));
                w.Sample("pgopt_cache_hits_total", c.DistributedHits, ("strategy", c.Strategy), ("tier", "redis"));
            }

            CacheCounter(w, client.Cache, "pgopt_cache_misses_total", "Cache misses (factory runs) per strategy.", c => c.Misses);
            CacheCounter(w, client.Cache, "pgopt_cache_stale_served_total", "Stale values served by fail-safe per strategy.", c => c.StaleServed);
            CacheCounter(w, client.Cache, "pgopt_cache_evictions_total", "Entries evicted from the memory tier for capacity, per strategy (counted on one key in 16, each counting for 16).", c => c.Evictions);
            CacheCounter(w, client.Cache, "pgopt_cache_raw_bytes_total", "Bytes of values written to Redis before compression, per strategy.", c => c.RawBytes);
            CacheCounter(w, client.Cache, "pgopt_cache_stored_bytes_total", "Bytes of values written to Redis as stored (after compression), per strategy.", c => c.StoredBytes);
            w.Family("pgopt_cache_factory_duration_seconds", "histogram", "Time the factories of cache misses took, per strategy.");
            foreach (var c in client.Cache)
            {
                w.Histogram("pgopt_cache_factory_duration_seconds", LatencyHistogram.Decode(c.FactoryHistogram), ("strategy", c.Strategy));
            }
        }

        w.Family("pgopt_alert_firing", "gauge", "1 for each firing alert, by alert and severity.");
        foreach (var a in report.Alerts.Where(a => a.State == AlertState.Firing))
        {
            w.Sample("pgopt_alert_firing", 1, ("alert", a.Name), ("severity", a.Severity.ToString().ToLowerInvariant()));
        }

        if (report.Overall is { } overall)
        {
            Gauge(w, "pgopt_health_status", "Overall health of the last evaluation: 0 healthy, 1 warning, 2 critical.", (int)overall);
        }

        var server = report.Server;
        var interval = report.Interval;
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

        if (report.Routing.Count > 0)
        {
            w.Family("pgopt_endpoint_lag_seconds", "gauge", "Seconds a replica endpoint is behind, from this instance's lag probe.");
            foreach (var r in report.Routing.Where(r => r.LagSeconds is not null))
            {
                w.Sample("pgopt_endpoint_lag_seconds", r.LagSeconds!.Value, ("endpoint", r.Endpoint));
            }

            w.Family("pgopt_endpoint_lag_bytes", "gauge", "WAL bytes a replica endpoint is behind the primary, from this instance's lag probe.");
            foreach (var r in report.Routing.Where(r => r.LagBytes is not null))
            {
                w.Sample("pgopt_endpoint_lag_bytes", r.LagBytes!.Value, ("endpoint", r.Endpoint));
            }

            w.Family("pgopt_endpoint_in_rotation", "gauge", "1 when this instance sends reads to the replica endpoint, 0 when it is out of rotation.");
            foreach (var r in report.Routing.Where(r => r.InRotation is not null))
            {
                w.Sample("pgopt_endpoint_in_rotation", r.InRotation!.Value ? 1 : 0, ("endpoint", r.Endpoint));
            }
        }

        return w.ToString();
    }

    public static string ToJson(MetricsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var c = report.Client;
        return JsonSerializer.Serialize(new
        {
            instances = c.Instances,
            at = c.At,
            pools = c.Pools.Select(p =>
            {
                var wait = LatencyHistogram.Summarize(LatencyHistogram.Decode(p.WaitHistogram));
                return new { endpoint = p.Name, p.Busy, p.Idle, p.Max, p.Peak, p.Usage, p.Operations, p.Circuit, waitP95Ms = wait.P95Ms, waitMaxMs = wait.MaxMs };
            }),
            queries = new
            {
                calls = c.Calls,
                errors = c.Errors,
                slowQueries = c.SlowQueries,
                latency = LatencyHistogram.Summarize(c.Latency()),
                endpoints = c.Endpoints.Select(e => new { endpoint = e.Name, e.Calls, e.Errors, latency = LatencyHistogram.Summarize(LatencyHistogram.Decode(e.Histogram)) }),
            },
            statements = c.Statements.OrderByDescending(s => s.TotalMs).Take(report.TopStatements).Select(s => new
            {
                s.Id, s.Sql, s.Calls, s.Errors, s.Rows, totalMs = Math.Round(s.TotalMs, 3), s.MeanMs, s.MaxMs, latency = s.Latency(),
            }),
            cache = c.Cache.Select(x => new
            {
                x.Strategy, x.MemoryHits, x.DistributedHits, x.Misses, x.HitRatio, x.StaleServed, x.Evictions, x.Writes, x.RawBytes, x.StoredBytes,
                x.CompressionRatio, factoryLatency = LatencyHistogram.Summarize(LatencyHistogram.Decode(x.FactoryHistogram)),
            }),
            alerts = report.Alerts,
            overall = report.Overall,
            routing = report.Routing,
            server = report.Server,
            interval = report.Interval is not { } i ? null : new
            {
                i.From, i.To, i.Seconds, i.CommitsPerSecond, i.RollbacksPerSecond, i.CacheHitRatio,
                i.Deadlocks, i.TempBytesPerSecond, i.RowsWrittenPerSecond, i.TopStatements,
            },
        }, Json);
    }

    private static void CacheCounter(PrometheusWriter w, IReadOnlyList<CacheStrategyCounters> cache, string name, string help, Func<CacheStrategyCounters, long> value)
    {
        w.Family(name, "counter", help);
        foreach (var c in cache)
        {
            w.Sample(name, value(c), ("strategy", c.Strategy));
        }
    }

    private static string Shorten(string text, int max)
    {
        var oneLine = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= max ? oneLine : string.Concat(oneLine.AsSpan(0, max - 1), "…");
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

        public void Histogram(string name, HdrHistogram.HistogramBase h, params (string Key, string Value)[] labels)
        {
            var bounds = LatencyHistogram.PrometheusBuckets;
            var counts = LatencyHistogram.CumulativeCounts(h, bounds);
            for (var i = 0; i < bounds.Length; i++)
            {
                Sample(name + "_bucket", counts[i], [.. labels, ("le", bounds[i].ToString("R", CultureInfo.InvariantCulture))]);
            }

            Sample(name + "_bucket", h.TotalCount, [.. labels, ("le", "+Inf")]);
            Sample(name + "_sum", LatencyHistogram.SumSeconds(h), labels);
            Sample(name + "_count", h.TotalCount, labels);
        }

        private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

        public override string ToString() => _sb.ToString();
    }
}
