using System.Net.Sockets;
using Npgsql;
using PgOptimizer.Diagnostics;
using StackExchange.Redis;

namespace PgOptimizer.Monitoring;

// Health: evaluation of client and server figures, alert inputs and the DatabaseHealth answer.
public sealed partial class DatabasePerformanceMonitor
{
    /// <summary>
    /// Evaluates health now: polls the server, takes this instance's client figures for the window
    /// since the previous evaluation, runs the alert rules and derives recommendations.
    /// </summary>
    public Task<DatabaseHealth> GetDatabaseHealthAsync(CancellationToken cancellationToken = default) =>
        EvaluateAsync(new HealthEvaluation(), cancellationToken);

    /// <summary>Evaluates health with explicit choices (all instances, poll or not, one-shot).</summary>
    public Task<DatabaseHealth> EvaluateAsync(HealthEvaluation how, CancellationToken cancellationToken = default) =>
        EvaluateAsync(how, null, cancellationToken);

    /// <summary>As <see cref="EvaluateAsync(HealthEvaluation, CancellationToken)"/>, with this instance's snapshot when the caller has just taken one.</summary>
    private async Task<DatabaseHealth> EvaluateAsync(HealthEvaluation how, ClientSnapshot? local, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(how);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var client = how.AllInstances ? await AggregateAsync(cancellationToken).ConfigureAwait(false) : local ?? LocalSnapshot();
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
            // Replicas the application reads from: the lag probe that routing and the doctor use
            // (the primary's pg_stat_replication view stays for standbys it does not read from).
            var probed = _connections.Replicas.Where(r => r.Lag?.Seconds is not null).MaxBy(r => r.Lag!.Seconds);
            if (probed is not null)
            {
                inputs[AlertNames.ReplicationLag] = new(probed.Lag!.Seconds!.Value, probed.Name, Evidence(("lagBytes", probed.Lag.Bytes), ("source", "lag probe")));
            }

            if (_rotation?.GetRotation() is { Configured: > 0 } rotation)
            {
                inputs[AlertNames.ReplicasOutOfRotation] = new(rotation.OutPercent, rotation.Out.Count == 0 ? null : string.Join(", ", rotation.Out),
                    Evidence(("configured", rotation.Configured), ("inRotation", rotation.InRotation)));
            }

            if (_budget?.GetBudget() is { } budget)
            {
                inputs[AlertNames.NeonBudget] = new(Math.Round(budget.ShareOfBudget * 100, 1), null,
                    Evidence(("budget", budget.Budget), ("forecast", budget.Forecast), ("monthToDate", budget.MonthToDate), ("periodEnd", budget.PeriodEnd)));
            }

            foreach (var e in _alerts.Evaluate(inputs, now, how.IgnoreForDurations))
            {
                OnAlertEvent(e);
            }

            var alerts = _alerts.Active;
            var connectionStatus = alerts.Where(a => a.Name == AlertNames.ConnectionUsage && a.State == AlertState.Firing).Select(a => a.Severity).DefaultIfEmpty(HealthLevel.Healthy).Max();
            ServerHealth? server = snapshot is null ? null : new ServerHealth(
                snapshot.Connections.Total, snapshot.Connections.MaxConnections, snapshot.Connections.LongestTransactionSeconds, snapshot.Connections.Blocked,
                interval?.Deadlocks ?? 0, snapshot.Replicas, snapshot.WraparoundAge, snapshot.DatabaseBytes, interval?.CommitsPerSecond);
            var recommendations = Recommendations.Build(alerts, client, snapshot, cache, _options, _connections, serverError, _cache?.DatabasesSharingKeyPrefix ?? []);
            var overall = alerts.Where(a => a.State == AlertState.Firing).Select(a => a.Severity).DefaultIfEmpty(HealthLevel.Healthy).Max();
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
}
