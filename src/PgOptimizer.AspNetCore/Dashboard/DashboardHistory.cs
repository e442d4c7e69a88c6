using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Monitoring;

namespace PgOptimizer.AspNetCore.Dashboard;

/// <summary>One point of the dashboard's history.</summary>
/// <param name="At">When (Unix seconds).</param>
/// <param name="AvgMs">Mean query time of the window, ms.</param>
/// <param name="P95Ms">p95, ms.</param>
/// <param name="P99Ms">p99, ms.</param>
/// <param name="QueriesPerSecond">Queries per second of all instances.</param>
/// <param name="ErrorPercent">Failed queries, %.</param>
/// <param name="HitPercent">The cache hit rate, % (null without a cache).</param>
/// <param name="CacheHitPercent">Per strategy, the hit rate since the previous point, %.</param>
/// <param name="LagSeconds">Per replica, replay lag, s.</param>
/// <param name="BusyConnections">Busy connections of the pools.</param>
public sealed record DashboardPoint(long At, double AvgMs, double P95Ms, double P99Ms, double QueriesPerSecond, double ErrorPercent, double? HitPercent,
    IReadOnlyDictionary<string, double?> CacheHitPercent, IReadOnlyDictionary<string, double?> LagSeconds, int BusyConnections);

/// <summary>
/// The dashboard's history: a point at each monitoring evaluation (the monitor's
/// <see cref="DatabasePerformanceMonitor.LastHealth"/>, so inside an application the dashboard adds
/// no evaluation of its own and leaves the alert windows alone; with
/// <see cref="DashboardOptions.AllInstances"/> it evaluates all instances itself), kept in memory for
/// <see cref="DashboardOptions.History"/>.
/// </summary>
public sealed class DashboardHistory : BackgroundService
{
    private readonly DatabasePerformanceMonitor _monitor;
    private readonly PgConnectionManager _connections;
    private readonly ICacheStatisticsSource? _cache;
    private readonly DashboardOptions _options;
    private readonly RedisConnection? _redis;
    private readonly ConcurrentQueue<DashboardPoint> _points = new();
    private DateTimeOffset _lastAt;
    private Dictionary<string, (long Hits, long Misses)> _lastCache = new(StringComparer.Ordinal);

    /// <summary>Creates the history.</summary>
    public DashboardHistory(DatabasePerformanceMonitor monitor, PgConnectionManager connections, IOptions<DashboardOptions> options, ICacheStatisticsSource? cache = null, RedisConnection? redis = null)
    {
        _redis = redis;
        ArgumentNullException.ThrowIfNull(options);
        _monitor = monitor ?? throw new ArgumentNullException(nameof(monitor));
        _connections = connections ?? throw new ArgumentNullException(nameof(connections));
        _cache = cache;
        _options = options.Value;
    }

    /// <summary>The points, oldest first.</summary>
    public IReadOnlyList<DashboardPoint> Points => _points.ToArray();

    /// <summary>
    /// The cache's counters: every instance's (from Redis; the health evaluation's reading when it is
    /// less than half a step old) with <see cref="DashboardOptions.AllInstances"/>, else this process's.
    /// </summary>
    internal static async Task<IReadOnlyList<CacheStrategyCounters>> CacheCountersAsync(DashboardOptions options, DatabasePerformanceMonitor monitor, ICacheStatisticsSource? local, CancellationToken ct) =>
        options.AllInstances ? (await monitor.AggregateAsync(options.Step / 2, ct).ConfigureAwait(false)).Cache : local?.GetCounters() ?? [];

    /// <summary>Takes a point now if the monitor evaluated since the last one.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken = default)
    {
        if (_monitor.LastHealth is not { } health || health.At == _lastAt)
        {
            return;
        }

        _lastAt = health.At;
        var q = health.Metrics.QueryPerformance;
        var perStrategy = new Dictionary<string, double?>(StringComparer.Ordinal);
        var now = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var c in await CacheCountersAsync(_options, _monitor, _cache, cancellationToken).ConfigureAwait(false))
        {
            now[c.Strategy] = (c.Hits, c.Misses);
            var (hits, misses) = _lastCache.GetValueOrDefault(c.Strategy);
            var (dh, dm) = (c.Hits - hits, c.Misses - misses);
            perStrategy[c.Strategy] = dh + dm <= 0 ? null : Math.Round(100.0 * dh / (dh + dm), 1);
        }

        _lastCache = now;
        var lag = _connections.Replicas.ToDictionary(r => r.Name, r => r.Lag?.Seconds, StringComparer.Ordinal);
        _points.Enqueue(new DashboardPoint(health.At.ToUnixTimeSeconds(), Math.Round(q.AvgResponseTime, 3), Math.Round(q.P95, 3), Math.Round(q.P99, 3),
            q.WindowSeconds <= 0 ? 0 : Math.Round(q.Calls / q.WindowSeconds, 1), Math.Round(q.ErrorRate, 2),
            health.Metrics.CachePerformance.HitRate is { } h ? Math.Round(h, 1) : null, perStrategy, lag,
            health.Metrics.ConnectionHealth.Pools.Sum(p => p.Busy)));
        var oldest = health.At.ToUnixTimeSeconds() - (long)_options.History.TotalSeconds;
        while (_points.TryPeek(out var first) && first.At < oldest)
        {
            _points.TryDequeue(out _);
        }

        if (_options.AllInstances && _redis is not null && await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false) is { } db)
        {
            // all instances' figures are the same for every dashboard: share them, so a dashboard started later shows the last hour
            try
            {
                var point = _points.Last();
                await db.SortedSetAddAsync(HistoryKey, JsonSerializer.Serialize(point), point.At).ConfigureAwait(false);
                await db.SortedSetRemoveRangeByScoreAsync(HistoryKey, double.NegativeInfinity, oldest, Exclude.Stop).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // the history stays in memory; Redis is optional
            }
        }
    }

    private string HistoryKey => RedisOptions.KeyPrefix(_redis!.ApplicationName, "dashboard") + "history";

    /// <summary>Loads the history other dashboards of the application shared through Redis (all-instances mode).</summary>
    public async Task<int> LoadSharedAsync(CancellationToken cancellationToken = default)
    {
        if (!_options.AllInstances || _redis is null || await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false) is not { } db)
        {
            return 0;
        }

        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - (long)_options.History.TotalSeconds;
        try
        {
            var loaded = (await db.SortedSetRangeByScoreAsync(HistoryKey, since, double.PositiveInfinity).ConfigureAwait(false))
                .Select(v => JsonSerializer.Deserialize<DashboardPoint>(v.ToString()))
                .OfType<DashboardPoint>()
                .DistinctBy(p => p.At)
                .OrderBy(p => p.At)
                .ToList();
            var known = _points.Select(p => p.At).ToHashSet();
            foreach (var p in loaded.Where(p => !known.Contains(p.At)))
            {
                _points.Enqueue(p);
            }

            return loaded.Count;
        }
        catch (Exception ex) when (ex is RedisException or JsonException)
        {
            return 0;
        }
    }

    /// <summary>The history as columns, the shape the charts take.</summary>
    public object ToColumns()
    {
        var points = Points;
        var strategies = points.SelectMany(p => p.CacheHitPercent.Keys).Distinct(StringComparer.Ordinal).ToList();
        var replicas = points.SelectMany(p => p.LagSeconds.Keys).Distinct(StringComparer.Ordinal).ToList();
        return new
        {
            at = points.Select(p => p.At),
            avgMs = points.Select(p => p.AvgMs),
            p95Ms = points.Select(p => p.P95Ms),
            p99Ms = points.Select(p => p.P99Ms),
            queriesPerSecond = points.Select(p => p.QueriesPerSecond),
            errorPercent = points.Select(p => p.ErrorPercent),
            hitPercent = points.Select(p => p.HitPercent),
            cacheHitPercent = strategies.ToDictionary(s => s, s => points.Select(p => p.CacheHitPercent.GetValueOrDefault(s))),
            lagSeconds = replicas.ToDictionary(r => r, r => points.Select(p => p.LagSeconds.GetValueOrDefault(r))),
            busyConnections = points.Select(p => p.BusyConnections),
        };
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.AllInstances)
        {
            await LoadSharedAsync(stoppingToken).ConfigureAwait(false);
            using var every = new PeriodicTimer(_options.Step);
            do
            {
                try
                {
                    await _monitor.EvaluateAsync(new HealthEvaluation { AllInstances = true }, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // the next step tries again; the pages say what they cannot read
                }

                await SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await every.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(200, _options.Step.TotalMilliseconds / 2)));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await SampleAsync(stoppingToken).ConfigureAwait(false);
        }
    }
}
