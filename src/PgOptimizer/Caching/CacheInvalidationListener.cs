using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Caching;

/// <summary>
/// Invalidation driven by the database: LISTENs on a direct connection for the notifications the
/// triggers of <see cref="CacheTriggers"/> send on commit, maps each changed row to tags through
/// <see cref="CacheOptions.Tables"/> (e.g. a pitches row → <c>pitch:{id}</c>) and invalidates them
/// in every strategy and, through the backplane, on every instance. After the connection is lost it
/// reconnects with backoff and clears the configured strategies wholesale, since notifications sent
/// meanwhile are gone.
/// </summary>
public sealed partial class CacheInvalidationListener : BackgroundService
{
    private readonly SmartCache _cache;
    private readonly CacheOptions _options;
    private readonly ILogger _logger;
    private readonly NpgsqlConnectionStringBuilder _settings;
    private readonly string _server;
    private readonly Channel<(string Payload, long ReceivedAt)> _queue = Channel.CreateBounded<(string, long)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _notifications;
    private long _reconnects;
    private volatile bool _overflowed;

    /// <summary>Creates the listener; <see cref="CacheOptions.Tables"/> say which tables' changes invalidate what.</summary>
    public CacheInvalidationListener(SmartCache cache, PgConnectionManager connections, IOptions<CacheOptions> options, ILogger<CacheInvalidationListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(options);
        _cache = cache ?? throw new ArgumentNullException(nameof(cache));
        _options = options.Value;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _settings = _options.ListenConnectionString is { } cs
            ? ConnectionStringParser.Parse(cs, "Caching:ListenConnectionString")
            : new NpgsqlConnectionStringBuilder(connections.Primary.Settings.ConnectionString);
        if (HostKind.Of(_settings.Host).IsPooler)
        {
            throw new PgOptimizerConfigurationException(
                $"Cache invalidation LISTENs on {ConnectionStringParser.Describe(_settings)}, a PgBouncer transaction-mode pooler: LISTEN/NOTIFY does not work through it. " +
                "Set PgOptimizer:Caching:ListenConnectionString to the direct endpoint (on Neon, the same host without '-pooler').");
        }

        _settings.Pooling = false; // a dedicated, long-lived session
        _settings.KeepAlive = 15;
        _settings.ApplicationName = "pgoptimizer-cache-listener";
        _server = ConnectionStringParser.Describe(_settings);
    }

    /// <summary>Raised after a notification's tags were invalidated; carries the latency from receipt.</summary>
    public event EventHandler<CacheInvalidatedEventArgs>? Invalidated;

    /// <summary>The server process id of the LISTEN session, while connected.</summary>
    public int? BackendProcessId { get; private set; }

    /// <summary>Notifications received since start.</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>Times the session was re-established after a loss.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Completes when the LISTEN session is (again) established.</summary>
    public Task WaitUntilListeningAsync(CancellationToken cancellationToken = default) => Volatile.Read(ref _listening).Task.WaitAsync(cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var consumer = ConsumeAsync(stoppingToken);
        var first = true;
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(_settings.ConnectionString);
                await conn.OpenAsync(stoppingToken).ConfigureAwait(false);
                conn.Notification += (_, e) =>
                {
                    Interlocked.Increment(ref _notifications);
                    if (!_queue.Writer.TryWrite((e.Payload, Stopwatch.GetTimestamp())))
                    {
                        _overflowed = true;
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {_options.Channel}", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                BackendProcessId = conn.ProcessID;
                if (!first)
                {
                    Interlocked.Increment(ref _reconnects);
                    await ClearWholesaleAsync("the listener reconnected; notifications may have been missed", stoppingToken).ConfigureAwait(false);
                }

                first = false;
                delay = TimeSpan.FromMilliseconds(250);
                LogListening(_logger, _options.Channel, _server);
                Volatile.Read(ref _listening).TrySetResult();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await conn.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException or InvalidOperationException)
            {
                BackendProcessId = null;
                if (Volatile.Read(ref _listening).Task.IsCompleted)
                {
                    Volatile.Write(ref _listening, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }

                LogLost(_logger, ex.Message, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 30_000));
            }
        }

        _queue.Writer.TryComplete();
        await consumer.ConfigureAwait(false);
    }

    private async Task ConsumeAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (payload, receivedAt) in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (_overflowed)
                {
                    _overflowed = false;
                    await ClearWholesaleAsync("more notifications arrived than could be queued", ct).ConfigureAwait(false);
                }

                var (tags, strategies) = Resolve(payload);
                if (tags.Count == 0)
                {
                    continue;
                }

                try
                {
                    await _cache.InvalidateByTagsAsync(tags, strategies, ct).ConfigureAwait(false);
                    Invalidated?.Invoke(this, new CacheInvalidatedEventArgs(tags, Stopwatch.GetElapsedTime(receivedAt)));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogInvalidationFailed(_logger, string.Join(", ", tags), ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>The tags a notification's row maps to (public for tests and tools).</summary>
    public IReadOnlyList<string> TagsOf(string payload) => Resolve(payload).Tags;

    private (IReadOnlyList<string> Tags, IReadOnlyCollection<string>? Strategies) Resolve(string payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            var schema = root.GetProperty("schema").GetString() ?? "public";
            var table = root.GetProperty("table").GetString() ?? "";
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var p in root.GetProperty("keys").EnumerateObject())
            {
                values[p.Name] = p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.ToString();
            }

            var config = _options.Tables.FirstOrDefault(t => t.Table == table || t.Table == $"{schema}.{table}");
            if (config is null || config.Tags.Count == 0)
            {
                // no mapping: {table}:{value} for a single-column key
                return (values.Count == 1 && values.Values.First() is { } v ? [$"{table}:{v}"] : [], config?.Strategies.ToList());
            }

            return (config.Tags.Select(t => CacheKeys.ExpandTemplate(t, values)).OfType<string>().Distinct(StringComparer.Ordinal).ToList(), config.Strategies.ToList());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            LogBadPayload(_logger, ex.Message);
            return ([], null);
        }
    }

    private async Task ClearWholesaleAsync(string why, CancellationToken ct)
    {
        var strategies = _options.Tables.SelectMany(t => t.Strategies).Distinct(StringComparer.Ordinal).ToList();
        LogWholesale(_logger, why, string.Join(", ", strategies));
        foreach (var s in strategies)
        {
            await _cache.ClearStrategyAsync(s, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache invalidation listening on channel {Channel} at {Server}")]
    private static partial void LogListening(ILogger logger, string channel, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache invalidation listener lost its connection ({Reason}); reconnecting in {DelayMs:F0} ms")]
    private static partial void LogLost(ILogger logger, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Clearing cache strategies {Strategies} wholesale: {Why}")]
    private static partial void LogWholesale(ILogger logger, string why, string strategies);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring an unreadable cache notification: {Reason}")]
    private static partial void LogBadPayload(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invalidating {Tags} failed: {Reason}")]
    private static partial void LogInvalidationFailed(ILogger logger, string tags, string reason);
}
