using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Connections;

/// <summary>
/// Probes the primary in the background every <see cref="ConnectionOptions.HealthProbeInterval"/>
/// (a <c>SELECT 1</c> through the application's own pool, so an exhausted pool shows), and keeps
/// the last reading for readiness checks: a load balancer's probe then costs no query, however
/// often it comes. On Neon the query is skipped while the application is idle and the last reading
/// was good, so that probes do not keep the compute awake.
/// </summary>
public sealed partial class PrimaryReadinessProbe
{
    private readonly PgConnectionManager _connections;
    private readonly ConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private ReadinessReading? _last;
    private long _activityAtProbe = -1;

    /// <summary>Creates the probe; the host runs it.</summary>
    public PrimaryReadinessProbe(PgConnectionManager connections, IOptions<ConnectionOptions> options, ILogger<PrimaryReadinessProbe>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connections = connections ?? throw new ArgumentNullException(nameof(connections));
        _options = options.Value;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The last reading; null before the first probe finished.</summary>
    public ReadinessReading? Last => Volatile.Read(ref _last);

    /// <summary>How long a reading stands before readiness treats it as missing (three intervals plus the timeout).</summary>
    public TimeSpan MaxAge => _options.HealthProbeInterval * 3 + _options.HealthProbeTimeout;

    /// <summary>Probes the primary now and records the reading.</summary>
    public async Task<ReadinessReading> ProbeAsync(CancellationToken cancellationToken = default)
    {
        var primary = _connections.Primary;
        var activity = primary.OperationsStarted;
        if (primary.Host.IsNeon && Last is { Answered: true } last && activity == _activityAtProbe)
        {
            return Record(last with { At = _time.GetUtcNow() }); // idle on Neon: let the compute sleep
        }

        _activityAtProbe = activity;
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.HealthProbeTimeout);
        try
        {
            await using var conn = await primary.DataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT 1", conn);
            await cmd.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false);
            return Record(new ReadinessReading(true, Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3), _time.GetUtcNow()));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var exhausted = primary.BusyConnections >= primary.MaxPoolSize;
            return Record(new ReadinessReading(false, null, _time.GetUtcNow(), exhausted,
                exhausted
                    ? $"no pooled connection came free within {_options.HealthProbeTimeout.TotalSeconds:0.###} s: all {primary.MaxPoolSize} are busy (MaxPoolSize)"
                    : $"no answer within {_options.HealthProbeTimeout.TotalSeconds:0.###} s"));
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            return Record(new ReadinessReading(false, null, _time.GetUtcNow(), false, ex is PostgresException pg ? $"SQLSTATE {pg.SqlState}: {pg.MessageText}" : ex.Message));
        }
    }

    private ReadinessReading Record(ReadinessReading reading)
    {
        var before = Interlocked.Exchange(ref _last, reading);
        if (before?.Answered != reading.Answered && (before is not null || !reading.Answered))
        {
            if (reading.Answered)
            {
                LogAnswers(_logger, _connections.Primary.Name);
            }
            else
            {
                LogNotReady(_logger, _connections.Primary.Name, reading.Error ?? "no answer");
            }
        }

        return reading;
    }

    /// <summary>Probes every <see cref="ConnectionOptions.HealthProbeInterval"/> until cancelled (the host runs it).</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HealthProbeInterval, _time);
        try
        {
            do
            {
                await ProbeAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // host stopping
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness: {Endpoint} does not answer: {Reason}")]
    private static partial void LogNotReady(ILogger logger, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Readiness: {Endpoint} answers again")]
    private static partial void LogAnswers(ILogger logger, string endpoint);
}

/// <summary>Runs the readiness probe for the host's lifetime.</summary>
internal sealed class PrimaryReadinessService(PrimaryReadinessProbe probe) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => probe.RunAsync(stoppingToken);
}
