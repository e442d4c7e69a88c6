using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Connections;

/// <summary>
/// The one measurement of replica lag, which routing, monitoring and the doctor all read: every
/// interval, each replica's replay position and seconds behind, and the primary's flushed WAL
/// position (what can have been sent) for the bytes behind. Results land on each replica's <see cref="PgEndpoint.Lag"/>.
/// </summary>
internal sealed partial class ReplicaLagProbe : IAsyncDisposable
{
    private readonly PgEndpoint _primary;
    private readonly IReadOnlyList<PgEndpoint> _replicas;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Task? _loop;
    private NpgsqlLogSequenceNumber? _primaryPosition;
    private long _primaryActivityAtProbe = -1;
    private int _disposed;

    public ReplicaLagProbe(PgEndpoint primary, IReadOnlyList<PgEndpoint> replicas, TimeSpan interval, ILogger logger)
    {
        (_primary, _replicas, _interval, _logger) = (primary, replicas, interval, logger);
    }

    /// <summary>Starts probing in the background (once).</summary>
    public void Start()
    {
        if (_replicas.Count > 0 && _loop is null)
        {
            _loop = Task.Run(() => LoopAsync(_stop.Token));
        }
    }

    /// <summary>Probes every replica now (and the primary's position), then updates their readings.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // On Neon a query keeps a compute awake: the primary's position is read only while the
            // application uses it; otherwise the last one stands (nothing new was written through us).
            var activity = _primary.OperationsStarted;
            if (!_primary.Host.IsNeon || activity != _primaryActivityAtProbe || _primaryPosition is null)
            {
                _primaryPosition = await PrimaryPositionAsync(cancellationToken).ConfigureAwait(false) ?? _primaryPosition;
                _primaryActivityAtProbe = activity;
            }

            await Task.WhenAll(_replicas.Select(r => ProbeReplicaAsync(r, _primaryPosition, cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_interval);
        do
        {
            try
            {
                await ProbeAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogProbeFailed(_logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    private async Task<NpgsqlLogSequenceNumber?> PrimaryPositionAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ProbeTimeout);
            await using var conn = await _primary.DataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT pg_current_wal_flush_lsn()", conn);
            return (NpgsqlLogSequenceNumber)(await cmd.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false))!;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null; // bytes stay unknown until the primary answers
        }
    }

    private static async Task ProbeReplicaAsync(PgEndpoint replica, NpgsqlLogSequenceNumber? primary, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ProbeTimeout);
            await using var conn = await replica.DataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + ReplicaSql, conn);
            await using var r = await cmd.ExecuteReaderAsync(timeout.Token).ConfigureAwait(false);
            await r.ReadAsync(timeout.Token).ConfigureAwait(false);
            if (r.IsDBNull(0))
            {
                replica.SetLag(new ReplicaLagReading(null, null, null, DateTimeOffset.UtcNow, "not a standby (pg_last_wal_replay_lsn() is null)"));
                return;
            }

            var replayed = r.GetFieldValue<NpgsqlLogSequenceNumber>(0);
            long? bytes = primary is { } p ? Math.Max(0, (long)((ulong)p - Math.Min((ulong)p, (ulong)replayed))) : null;
            // A standby can hold received WAL it has nothing to replay from (an idle primary's
            // bookkeeping records): once it has replayed all the primary flushed, it is not behind.
            var seconds = bytes == 0 ? 0 : Math.Round(r.GetDouble(1), 3);
            replica.SetLag(new ReplicaLagReading(seconds, bytes, replayed, DateTimeOffset.UtcNow));
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            replica.SetLag(new ReplicaLagReading(null, null, null, DateTimeOffset.UtcNow, ex is OperationCanceledException ? "probe timed out" : ex.Message));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
        _gate.Dispose();
    }

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    // Seconds behind: 0 when everything received is replayed (an idle primary is not lag).
    private const string ReplicaSql =
        "SELECT pg_last_wal_replay_lsn(), " +
        "CASE WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 " +
        "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Replica lag probe failed: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string reason);
}
