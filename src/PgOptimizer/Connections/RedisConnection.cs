using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PgOptimizer.Connections;

/// <summary>
/// The shared Redis connection. It never throws for an absent or unreachable Redis: callers ask
/// <see cref="TryGetDatabase"/> and run degraded (local only) when it returns null; the
/// multiplexer reconnects by itself when Redis returns.
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ConfigurationOptions? _config;
    private Task<ConnectionMultiplexer>? _connecting;
    private volatile ConnectionMultiplexer? _multiplexer;

    /// <summary>Creates the connection; it connects in the background and reconnects by itself.</summary>
    public RedisConnection(IOptions<RedisOptions> options, ILogger<RedisConnection>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        ApplicationName = options.Value.ApplicationName ?? RedisOptions.DefaultApplicationName;
        if (!string.IsNullOrWhiteSpace(options.Value.Url))
        {
            _config = RedisOptions.ParseUrl(options.Value.Url, options.Value.Timeout);
            if (options.Value.UseThreadPool)
            {
                _config.SocketManager = SocketManager.ThreadPool;
            }

            Description = RedisOptions.Describe(_config);
        }
    }

    /// <summary>The application's name in its Redis keys (<see cref="RedisOptions.ApplicationName"/>).</summary>
    public string ApplicationName { get; }

    /// <summary>True when a Redis URL is configured.</summary>
    public bool IsConfigured => _config is not null;

    /// <summary>redis://host:port/db without credentials, or null.</summary>
    public string? Description { get; }

    /// <summary>True when connected right now.</summary>
    public bool IsConnected => _multiplexer?.IsConnected == true;

    /// <summary>
    /// A separate connection allowed server commands (INFO), for measurements; the caller disposes
    /// it. Null when Redis is not configured.
    /// </summary>
    internal async Task<ConnectionMultiplexer?> ConnectAdminAsync()
    {
        if (_config is null)
        {
            return null;
        }

        var admin = _config.Clone();
        admin.AllowAdmin = true;
        admin.ClientName = "pgopt-measure";
        return await ConnectionMultiplexer.ConnectAsync(admin).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts connecting in the background, once, and returns at once. Host start-up never waits for
    /// Redis: the cache and monitoring start local-only and take Redis on as soon as it answers.
    /// </summary>
    public void StartConnecting() => _ = Connecting();

    /// <summary>
    /// The multiplexer, connecting on first use; null when Redis is not configured. Waits for the
    /// first connection attempt only (at most <see cref="RedisOptions.Timeout"/>): when Redis is
    /// unreachable the multiplexer returned is not connected and keeps reconnecting by itself.
    /// </summary>
    public async ValueTask<IConnectionMultiplexer?> GetMultiplexerAsync(CancellationToken cancellationToken = default)
    {
        if (_multiplexer is { } m)
        {
            return m;
        }

        var connecting = Connecting();
        return connecting is null ? null : await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<ConnectionMultiplexer>? Connecting()
    {
        if (_config is null)
        {
            return null;
        }

        if (Volatile.Read(ref _connecting) is { } existing)
        {
            return existing;
        }

        lock (_config)
        {
            // AbortOnConnectFail=false: returns even when Redis is down and keeps reconnecting.
            return _connecting ??= Task.Run(async () =>
            {
                var multiplexer = await ConnectionMultiplexer.ConnectAsync(_config.Clone()).ConfigureAwait(false);
                if (!multiplexer.IsConnected)
                {
                    LogUnavailable(_logger, Description!);
                }

                _multiplexer = multiplexer;
                return multiplexer;
            });
        }
    }

    /// <summary>The database when Redis is configured and connected, else null.</summary>
    public async ValueTask<IDatabase?> TryGetDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var m = await GetMultiplexerAsync(cancellationToken).ConfigureAwait(false);
        return m is { IsConnected: true } ? m.GetDatabase() : null;
    }

    /// <summary>The database when connected, else null (no connection attempt).</summary>
    public IDatabase? TryGetDatabase() => _multiplexer is { IsConnected: true } m ? m.GetDatabase() : null;

    /// <summary>Round trip of a PING, or null when Redis is not configured or not reachable.</summary>
    public async ValueTask<RedisPing?> PingAsync(CancellationToken cancellationToken = default)
    {
        var db = await TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (db is null)
        {
            return null;
        }

        try
        {
            var start = Stopwatch.GetTimestamp();
            await db.PingAsync().ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(start);
            string? version = null;
            var server = _multiplexer!.GetServers().FirstOrDefault(s => s.IsConnected);
            if (server is not null)
            {
                version = server.Version.ToString();
            }

            return new RedisPing(elapsed, version);
        }
        catch (RedisException)
        {
            return null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connecting is { } connecting)
        {
            try
            {
                await (await connecting.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // nothing to close
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {Redis} is not reachable; running without it until it returns")]
    private static partial void LogUnavailable(ILogger logger, string redis);
}
