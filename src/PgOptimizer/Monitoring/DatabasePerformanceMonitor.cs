using System.Diagnostics.Metrics;
using System.Text.Json;
using HdrHistogram;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

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
    private readonly string _keyPrefix;
    private readonly MonitoringOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private volatile AggregateReading? _lastAggregate;
    private readonly ICacheStatisticsSource? _cache;
    private readonly IReplicaRotationSource? _rotation;
    private readonly AlertEngine _alerts;
    private readonly IBudgetSource? _budget;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DateTimeOffset _started;
    private readonly Dictionary<bool, Window> _windows = [];
    private readonly Meter _meter;
    private HttpClient? _webhook;
    private readonly Dictionary<bool, CacheStrategyCounters> _lastCache = [];

    /// <summary>Creates the monitor; <paramref name="cache"/>, <paramref name="rotation"/> and <paramref name="budget"/>, when given, supply the application cache's figures, the replicas in rotation and the Neon budget.</summary>
    public DatabasePerformanceMonitor(
        PgConnectionManager connections,
        QueryTracker tracker,
        ServerStatsCollector collector,
        RedisConnection redis,
        IOptions<MonitoringOptions> options,
        ILogger<DatabasePerformanceMonitor>? logger = null,
        TimeProvider? timeProvider = null,
        ICacheStatisticsSource? cache = null,
        IReplicaRotationSource? rotation = null,
        IBudgetSource? budget = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connections = connections ?? throw new ArgumentNullException(nameof(connections));
        Tracker = tracker ?? throw new ArgumentNullException(nameof(tracker));
        _collector = collector ?? throw new ArgumentNullException(nameof(collector));
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _keyPrefix = options.Value.RedisKeyPrefix ?? MonitoringDefaults.RedisKeyPrefix(redis.ApplicationName);
        _options = options.Value;
        _options.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _cache = cache;
        _rotation = rotation;
        _budget = budget;
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
    /// One tick of the background loop: evaluate (the server is polled only when the application
    /// was active, on Neon), then publish this instance's snapshot and slow queries to Redis.
    /// </summary>
    public async Task TickAsync(CancellationToken cancellationToken = default)
    {
        // One snapshot serves both: taking one copies and encodes every histogram.
        var local = LocalSnapshot();
        await EvaluateAsync(new HealthEvaluation { ForceServerPoll = !_collector.PollsOnlyWhenActive }, local, cancellationToken).ConfigureAwait(false);
        await PublishAsync(local, cancellationToken).ConfigureAwait(false);
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

    /// <inheritdoc />
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
