using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using HdrHistogram;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using StackExchange.Redis;

namespace PgOptimizer.Monitoring;

/// <summary>
/// The monitoring service: client-side query figures (<see cref="QueryTracker"/>), server
/// statistics (<see cref="ServerStatsCollector"/>), alerts with "for" durations and hysteresis,
/// recommendations, Prometheus/JSON export, and cross-instance aggregation through Redis (each
/// instance publishes its snapshot with a TTL; a stopped instance drops out when it expires).
/// Redis is optional: without it, or while it is down, everything works for this instance alone.
/// </summary>
public sealed partial class DatabasePerformanceMonitor : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private readonly PgConnectionManager _connections;
    private readonly ServerStatsCollector _collector;
    private readonly RedisConnection _redis;
    private readonly MonitoringOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ICacheStatisticsSource? _cache;
    private readonly AlertEngine _alerts;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DateTimeOffset _started;
    private readonly Dictionary<bool, Window> _windows = [];
    private readonly Meter _meter;
    private HttpClient? _webhook;
    private readonly Dictionary<bool, CacheStrategyCounters> _lastCache = [];

    public DatabasePerformanceMonitor(
        PgConnectionManager connections,
        QueryTracker tracker,
        ServerStatsCollector collector,
        RedisConnection redis,
        IOptions<MonitoringOptions> options,
        ILogger<DatabasePerformanceMonitor>? logger = null,
        TimeProvider? timeProvider = null,
        ICacheStatisticsSource? cache = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connections = connections ?? throw new ArgumentNullException(nameof(connections));
        Tracker = tracker ?? throw new ArgumentNullException(nameof(tracker));
        _collector = collector ?? throw new ArgumentNullException(nameof(collector));
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _options = options.Value;
        _options.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _cache = cache;
        _alerts = new AlertEngine(_options.Alerts, _options.InstanceId);
        _started = _time.GetUtcNow();
        _meter = new Meter(PgOptimizerDiagnostics.Name);
        CreateObservableInstruments();
    }

    /// <summary>Raised on every alert state change (after it is logged), on the evaluating thread.</summary>
    public event EventHandler<AlertEvent>? AlertChanged;

    /// <summary>The client-side tracker of this process.</summary>
    public QueryTracker Tracker { get; }

    /// <summary>This instance's id in Redis.</summary>
    public string InstanceId => _options.InstanceId;

    /// <summary>The last evaluation, if any.</summary>
    public DatabaseHealth? LastHealth { get; private set; }

    /// <summary>Pending and firing alerts after the last evaluation.</summary>
    public IReadOnlyList<Alert> ActiveAlerts => _alerts.Active;

    /// <summary>
    /// Evaluates health now: polls the server, takes this instance's client figures for the window
    /// since the previous evaluation, runs the alert rules and derives recommendations.
    /// </summary>
    public Task<DatabaseHealth> GetDatabaseHealthAsync(CancellationToken cancellationToken = default) =>
        EvaluateAsync(new HealthEvaluation(), cancellationToken);

    /// <summary>Evaluates health with explicit choices (all instances, poll or not, one-shot).</summary>
    public async Task<DatabaseHealth> EvaluateAsync(HealthEvaluation how, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(how);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var client = how.AllInstances ? await AggregateAsync(cancellationToken).ConfigureAwait(false) : LocalSnapshot();
            var query = Measure(client, now, how.AllInstances);

            ServerInterval? interval = null;
            string? serverError = null;
            try
            {
                interval = await _collector.CollectAsync(how.ForceServerPoll, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                serverError = ex is PostgresException pg ? $"SQLSTATE {pg.SqlState}: {pg.MessageText}" : ex.Message;
                LogServerUnavailable(_logger, serverError);
            }

            var snapshot = serverError is null ? _collector.Last : null;
            var cache = CacheFigures(client, how.AllInstances, interval);
            var pools = client.Pools.Select(p =>
                new PoolHealth(p.Name, p.Busy, p.Idle, p.Max, Math.Round(p.Usage * 100, 1), LatencyHistogram.Summarize(LatencyHistogram.Decode(p.WaitHistogram)).P95Ms, p.Circuit)).ToList();
            var usage = pools.Count == 0 ? 0 : pools.Max(p => p.Usage);
            var inputs = Inputs(query, usage, pools, cache, snapshot, interval);
            foreach (var e in _alerts.Evaluate(inputs, now, how.IgnoreForDurations))
            {
                OnAlertEvent(e);
            }

            var alerts = _alerts.Active;
            var connectionStatus = alerts.Where(a => a.Name == AlertNames.ConnectionUsage && a.State == "firing").Select(a => a.Severity).DefaultIfEmpty(HealthLevel.Healthy).Max();
            ServerHealth? server = snapshot is null ? null : new ServerHealth(
                snapshot.Connections.Total, snapshot.Connections.MaxConnections, snapshot.Connections.LongestTransactionSeconds, snapshot.Connections.Blocked,
                interval?.Deadlocks ?? 0, snapshot.Replicas, snapshot.WraparoundAge, snapshot.DatabaseBytes, interval?.CommitsPerSecond);
            var recommendations = Recommendations.Build(alerts, client, snapshot, cache, _options, _connections, serverError);
            var overall = alerts.Where(a => a.State == "firing").Select(a => a.Severity).DefaultIfEmpty(HealthLevel.Healthy).Max();
            if (serverError is not null)
            {
                overall = HealthLevel.Critical;
            }

            var health = new DatabaseHealth(
                overall, now,
                new HealthMetrics(new ConnectionHealth(pools.Sum(p => p.Busy), usage, connectionStatus, pools), query, cache, server),
                alerts, recommendations);
            LastHealth = health;
            return health;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// One tick of the background loop: evaluate (the server is polled only when the application
    /// was active, on Neon), then publish this instance's snapshot and slow queries to Redis.
    /// </summary>
    public async Task TickAsync(CancellationToken cancellationToken = default)
    {
        await EvaluateAsync(new HealthEvaluation { ForceServerPoll = !_collector.PollsOnlyWhenActive }, cancellationToken).ConfigureAwait(false);
        await PublishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <see cref="TickAsync"/> every <see cref="MonitoringOptions.Interval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, _time);
        do
        {
            try
            {
                await TickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTickFailed(_logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>This instance's client figures now.</summary>
    public ClientSnapshot LocalSnapshot() => Tracker.Snapshot(_connections.Endpoints) with { Cache = _cache?.GetCounters() ?? [] };

    /// <summary>
    /// Publishes this instance's snapshot (key with a TTL, so a stopped instance drops out) and its
    /// new slow queries (a capped stream shared by all instances). Returns false when Redis is not
    /// configured or not reachable; never throws for Redis failures.
    /// </summary>
    public async Task<bool> PublishAsync(CancellationToken cancellationToken = default)
    {
        var db = await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var slow = Tracker.SlowQueries.TakeUnpublished();
        if (db is null)
        {
            Tracker.SlowQueries.ReturnUnpublished(slow);
            return false;
        }

        try
        {
            var snapshot = LocalSnapshot();
            var prefix = _options.RedisKeyPrefix;
            var ttl = _options.EffectiveInstanceTtl;
            var batch = db.CreateBatch();
            var tasks = new List<Task>
            {
                batch.StringSetAsync(prefix + "instance:" + InstanceId, JsonSerializer.Serialize(snapshot, Json), ttl),
                batch.SortedSetAddAsync(prefix + "instances", InstanceId, _time.GetUtcNow().ToUnixTimeMilliseconds()),
            };
            foreach (var q in slow)
            {
                tasks.Add(batch.StreamAddAsync(prefix + "slow", "q", JsonSerializer.Serialize(q, Json), maxLength: _options.SlowQueryStreamLength, useApproximateMaxLength: true));
            }

            batch.Execute();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Tracker.SlowQueries.ReturnUnpublished(slow);
            LogRedisFailed(_logger, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// The snapshots of all live instances in Redis (this one included, fresh), or only this
    /// instance's when Redis is not available. Expired instances are removed from the index.
    /// </summary>
    public async Task<IReadOnlyList<ClientSnapshot>> ReadInstancesAsync(CancellationToken cancellationToken = default)
    {
        var local = LocalSnapshot();
        var db = await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (db is null)
        {
            return [local];
        }

        try
        {
            var prefix = _options.RedisKeyPrefix;
            var ids = (await db.SortedSetRangeByRankAsync(prefix + "instances").ConfigureAwait(false)).Select(v => v.ToString()).ToList();
            ids.Remove(InstanceId);
            var values = ids.Count == 0 ? [] : await db.StringGetAsync(ids.Select(id => (RedisKey)(prefix + "instance:" + id)).ToArray()).ConfigureAwait(false);
            var result = new List<ClientSnapshot> { local };
            var expired = new List<RedisValue>();
            for (var i = 0; i < ids.Count; i++)
            {
                if (values[i].IsNull)
                {
                    expired.Add(ids[i]);
                    continue;
                }

                try
                {
                    if (JsonSerializer.Deserialize<ClientSnapshot>(values[i].ToString(), Json) is { } s)
                    {
                        result.Add(s);
                    }
                }
                catch (Exception ex) when (ex is JsonException or FormatException)
                {
                    LogBadSnapshot(_logger, ids[i], ex.Message);
                }
            }

            if (expired.Count > 0)
            {
                await db.SortedSetRemoveAsync(prefix + "instances", expired.ToArray()).ConfigureAwait(false);
            }

            return result;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisFailed(_logger, ex.Message);
            return [local];
        }
    }

    /// <summary>All live instances merged: counters summed, histograms added.</summary>
    public async Task<ClientSnapshot> AggregateAsync(CancellationToken cancellationToken = default) =>
        ClientSnapshot.Merge(await ReadInstancesAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Recent slow queries, newest first: of all instances from Redis, else of this process.</summary>
    public async Task<IReadOnlyList<SlowQuery>> GetSlowQueriesAsync(int limit = 50, CancellationToken cancellationToken = default)
    {
        var db = await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (db is not null)
        {
            try
            {
                await PublishAsync(cancellationToken).ConfigureAwait(false);
                var entries = await db.StreamRangeAsync(_options.RedisKeyPrefix + "slow", count: limit, messageOrder: Order.Descending).ConfigureAwait(false);
                return entries
                    .Select(e => e["q"])
                    .Where(v => !v.IsNull)
                    .Select(v => JsonSerializer.Deserialize<SlowQuery>(v.ToString(), Json)!)
                    .ToList();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
            {
                LogRedisFailed(_logger, ex.Message);
            }
        }

        return Tracker.SlowQueries.Recent(limit);
    }

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

        var report = new MetricsReport(client, _collector.Last, _collector.LastInterval, _alerts.Active, LastHealth?.Overall, _options.TopStatements);
        return format == MetricsFormat.Json ? MetricsExporter.ToJson(report) : MetricsExporter.ToPrometheus(report);
    }

    private QueryPerformance Measure(ClientSnapshot client, DateTimeOffset now, bool allInstances)
    {
        var latency = client.Latency();
        _windows.TryGetValue(allInstances, out var previous);
        var window = previous is null ? null : LatencyHistogram.Difference(latency, previous.Latency);
        long calls, errors, slow;
        double seconds;
        if (previous is null || window is null || client.Errors < previous.Errors || client.SlowQueries < previous.Slow)
        {
            // first evaluation, or an instance left the aggregate: the window is everything so far
            window = latency;
            calls = client.Calls;
            errors = client.Errors;
            slow = client.SlowQueries;
            seconds = Math.Max(0.001, (now - (client.Since < _started ? client.Since : _started)).TotalSeconds);
        }
        else
        {
            calls = client.Calls - previous.Calls;
            errors = client.Errors - previous.Errors;
            slow = client.SlowQueries - previous.Slow;
            seconds = Math.Max(0.001, (now - previous.At).TotalSeconds);
        }

        _windows[allInstances] = new Window(now, latency, client.Calls, client.Errors, client.SlowQueries);
        var s = LatencyHistogram.Summarize(window);
        return new QueryPerformance(
            s.MeanMs, s.P95Ms, s.P99Ms, slow, Math.Round(slow / seconds * 60, 2),
            calls == 0 ? 0 : Math.Round(100.0 * errors / calls, 3), calls, Math.Round(seconds, 3), client.Instances);
    }

    /// <summary>
    /// The application cache's figures for the window when the (possibly aggregated) instances have
    /// used one, else the server buffer cache's for the interval.
    /// </summary>
    private CachePerformance CacheFigures(ClientSnapshot client, bool allInstances, ServerInterval? interval)
    {
        var now = CacheStrategyCounters.Sum("all", client.Cache);
        if (now.Hits + now.Misses > 0)
        {
            _lastCache.TryGetValue(allInstances, out var before);
            _lastCache[allInstances] = now;
            if (before is null || now.Hits < before.Hits || now.Misses < before.Misses)
            {
                before = CacheStrategyCounters.Sum("all", []); // first window, or an instance left: everything so far
            }

            var hits = now.Hits - before.Hits;
            var misses = now.Misses - before.Misses;
            var lookups = hits + misses;
            return lookups <= 0
                ? new CachePerformance("application", null, null, null)
                : new CachePerformance("application", Math.Round(100.0 * hits / lookups, 2), Math.Round(100.0 * misses / lookups, 2), Math.Round(100.0 * (now.Evictions - before.Evictions) / lookups, 2));
        }

        var hit = interval?.CacheHitRatio;
        return new CachePerformance("server buffer cache", hit is null ? null : Math.Round(hit.Value * 100, 2), hit is null ? null : Math.Round((1 - hit.Value) * 100, 2), null);
    }

    private static Dictionary<string, AlertInput> Inputs(QueryPerformance q, double usage, List<PoolHealth> pools, CachePerformance cache, ServerSnapshot? server, ServerInterval? interval)
    {
        var inputs = new Dictionary<string, AlertInput>(StringComparer.Ordinal)
        {
            [AlertNames.SlowQueryCount] = new(q.SlowQueriesPerMinute, null, Evidence(("slowQueries", q.SlowQueryCount), ("windowSeconds", q.WindowSeconds))),
        };
        if (pools.Count > 0)
        {
            var worst = pools.MaxBy(p => p.Usage)!;
            inputs[AlertNames.ConnectionUsage] = new(usage, worst.Endpoint, Evidence(("busy", worst.Busy), ("max", worst.Max), ("waitP95Ms", worst.WaitP95Ms)));
        }

        if (q.Calls > 0)
        {
            inputs[AlertNames.AvgQueryTime] = new(q.AvgResponseTime, null, Evidence(("calls", q.Calls), ("p95Ms", q.P95), ("p99Ms", q.P99)));
            inputs[AlertNames.ErrorRate] = new(q.ErrorRate, null, Evidence(("calls", q.Calls)));
        }

        if (cache.HitRate is { } hitRate)
        {
            inputs[AlertNames.CacheHitRate] = new(hitRate, cache.Source, Evidence(("missRate", cache.MissRate)));
        }

        if (server is not null)
        {
            var c = server.Connections;
            inputs[AlertNames.ServerConnectionUsage] = new(c.Usage * 100, null, Evidence(("connections", c.Total), ("maxConnections", c.MaxConnections), ("idleInTransaction", c.IdleInTransaction)));
            inputs[AlertNames.TransactionAge] = new(c.LongestTransactionSeconds ?? 0, null, Evidence(("idleInTransaction", c.IdleInTransaction)));
            inputs[AlertNames.BlockedSessions] = new(c.Blocked, null, Evidence(("waitingOnLocks", c.Waiting)));
            inputs[AlertNames.Wraparound] = new(server.WraparoundAge, null, Evidence(("xidAge", server.WraparoundAge)));
            var table = server.Tables.Where(t => t.LiveTuples + t.DeadTuples >= 1000).MaxBy(t => t.DeadRatio);
            inputs[AlertNames.DeadTupleRatio] = table is null
                ? new(0)
                : new(table.DeadRatio * 100, table.Table, Evidence(("deadTuples", table.DeadTuples), ("liveTuples", table.LiveTuples), ("secondsSinceVacuum", table.SecondsSinceVacuum)));
            var lagging = server.Replicas.Where(r => r.ReplayLagSeconds is not null).MaxBy(r => r.ReplayLagSeconds);
            if (lagging is not null)
            {
                inputs[AlertNames.ReplicationLag] = new(lagging.ReplayLagSeconds!.Value, lagging.Name, Evidence(("lagBytes", lagging.LagBytes), ("state", lagging.State)));
            }
        }

        if (interval is not null)
        {
            inputs[AlertNames.Deadlocks] = new(interval.Deadlocks, null, Evidence(("intervalSeconds", interval.Seconds)));
        }

        return inputs;
    }

    private static Dictionary<string, object?> Evidence(params (string Key, object? Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);

    private void OnAlertEvent(AlertEvent e)
    {
        if (e.To == HealthLevel.Healthy)
        {
            LogAlertResolved(_logger, e.Name, e.Subject ?? "-", e.Value, e.Unit);
        }
        else
        {
            LogAlertChanged(_logger, e.Name, e.Kind, e.To, e.Subject ?? "-", e.Value, e.Unit, e.Threshold);
        }

        PgOptimizerDiagnostics.AlertTransitions.Add(1, new KeyValuePair<string, object?>("alert", e.Name), new KeyValuePair<string, object?>("to", e.To.ToString().ToLowerInvariant()));
        AlertChanged?.Invoke(this, e);
        if (_options.AlertWebhookUrl is { } url)
        {
            _ = PostWebhookAsync(url, e);
        }
    }

    private async Task PostWebhookAsync(Uri url, AlertEvent e)
    {
        try
        {
            _webhook ??= new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await _webhook.PostAsJsonAsync(url, new { e.Name, e.Kind, from = e.From, to = e.To, e.Value, e.Threshold, e.Unit, e.Subject, e.At, e.Instance }, Json).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogWebhookFailed(_logger, url.Host, $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            LogWebhookFailed(_logger, url.Host, ex.Message); // the host only: a webhook URL can carry a token
        }
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

    public void Dispose()
    {
        _meter.Dispose();
        _gate.Dispose();
        _webhook?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Alert} {Kind}: {Severity} ({Subject}) at {Value:0.##} {Unit}, threshold {Threshold:0.##}")]
    private static partial void LogAlertChanged(ILogger logger, string alert, string kind, HealthLevel severity, string subject, double value, string unit, double threshold);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Alert} resolved ({Subject}) at {Value:0.##} {Unit}")]
    private static partial void LogAlertResolved(ILogger logger, string alert, string subject, double value, string unit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server statistics unavailable: {Reason}")]
    private static partial void LogServerUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Redis unavailable for monitoring, continuing locally: {Reason}")]
    private static partial void LogRedisFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring an unreadable snapshot of instance {Instance} in Redis: {Reason}")]
    private static partial void LogBadSnapshot(ILogger logger, string instance, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert webhook to {Host} failed: {Reason}")]
    private static partial void LogWebhookFailed(ILogger logger, string host, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Monitoring tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    private sealed record Window(DateTimeOffset At, HistogramBase Latency, long Calls, long Errors, long Slow);
}

/// <summary>How to evaluate health.</summary>
public sealed record HealthEvaluation
{
    /// <summary>Merge the client figures of all live instances from Redis (else this instance's).</summary>
    public bool AllInstances { get; init; }

    /// <summary>Poll the server even on Neon when the application was idle. Default true (on demand).</summary>
    public bool ForceServerPoll { get; init; } = true;

    /// <summary>A one-shot check: conditions fire at once instead of after their "for" duration.</summary>
    public bool IgnoreForDurations { get; init; }
}

public enum MetricsFormat
{
    Prometheus,
    Json,
}
