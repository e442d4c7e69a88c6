using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Diagnostics;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace PgOptimizer.Connections;

/// <summary>
/// The resilient connection manager: one pooled <see cref="NpgsqlDataSource"/> per endpoint, reads
/// routed to replicas through <see cref="IReaderSelector"/>, writes to the primary, and every
/// operation run under Polly: retry (exponential backoff with jitter, no new attempt after the
/// total timeout, only for
/// failures <see cref="PostgresErrorClassifier"/> calls transient, and only when re-running cannot
/// apply the work twice) → the chosen endpoint's circuit breaker → the attempt, bounded by Npgsql's
/// connect timeout and command timeout (which cancels the statement on the server).
/// An operation is a whole unit: a retry runs the whole delegate again on a fresh connection,
/// so a transaction is retried whole, never a single statement inside it.
/// </summary>
public sealed partial class PgConnectionManager : IAsyncDisposable
{
    private static readonly ResiliencePropertyKey<CallInfo> CallInfoKey = new("pgopt.call");
    private static readonly AsyncLocal<string?> AmbientSession = new();

    private readonly ILogger _logger;
    private readonly IReaderSelector _readers;
    private readonly ResiliencePipeline _retrying;
    private readonly long _totalTimeoutTicks;
    private readonly PgEndpoint[] _replicas;
    private readonly ReplicaLagProbe _lagProbe;
    private readonly SessionPositions _sessions;
    private readonly ActivityListener? _sessionWatch;

    /// <summary>Creates the manager: one pooled data source per endpoint, with retry, breaker and timeouts per <see cref="ConnectionOptions"/>.</summary>
    /// <param name="options">Endpoints, retry, breaker, timeouts.</param>
    /// <param name="readerSelector">Chooses the endpoint of each read; default round robin over replicas (AddPgRouting registers the lag-aware router).</param>
    /// <param name="logger">Retries and circuit changes.</param>
    /// <param name="redis">Shares read-your-writes positions across instances; without it they hold in this process only.</param>
    public PgConnectionManager(IOptions<ConnectionOptions> options, IReaderSelector? readerSelector = null, ILogger<PgConnectionManager>? logger = null, RedisConnection? redis = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        o.Validate();
        Options = o;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _readers = readerSelector ?? new RoundRobinReaderSelector();

        Primary = new PgEndpoint("primary", EndpointRole.Primary, BuildSettings(o.ConnectionString!, o, "connection string"), o, OnCircuitChange);
        _replicas = o.AllReplicas()
            .Select(r => new PgEndpoint(r.Name!, EndpointRole.Replica, WithStatementTimeout(BuildSettings(r.ConnectionString!, o, $"connection string of replica {r.Name}"), r.StatementTimeout), o, OnCircuitChange, r))
            .ToArray();
        if (Endpoints.Any(e => e.ResetsChangedSessions))
        {
            // Npgsql consults its command filter (where a session change is noticed) only while
            // something listens to its activity source: listen, and ask for no activity.
            _sessionWatch = new ActivityListener
            {
                ShouldListenTo = static source => source.Name == "Npgsql",
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            };
            ActivitySource.AddActivityListener(_sessionWatch);
        }

        _lagProbe = new ReplicaLagProbe(Primary, _replicas, o.LagProbeInterval, _logger);
        _lagProbe.Start();
        _sessions = new SessionPositions(redis, o.SessionKeyPrefix ?? ConnectionDefaults.SessionKeyPrefix(redis?.ApplicationName ?? RedisOptions.DefaultApplicationName), o.ReadYourWritesTtl);

        _totalTimeoutTicks = (long)(o.TotalTimeout.TotalSeconds * Stopwatch.Frequency);
        _retrying = o.MaxRetryAttempts == 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    Name = "transient-retry",
                    MaxRetryAttempts = o.MaxRetryAttempts,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = o.RetryBaseDelay,
                    MaxDelay = o.RetryMaxDelay,
                    ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Context, args.Outcome.Exception)),
                    OnRetry = args =>
                    {
                        var endpoint = args.Context.Properties.GetValue(CallInfoKey, null!)?.Endpoint ?? "?";
                        PgOptimizerDiagnostics.Retries.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));
                        LogRetry(_logger, args.AttemptNumber + 1, endpoint, Describe(args.Outcome.Exception), args.RetryDelay.TotalMilliseconds);
                        return default;
                    },
                })
                .Build();
    }

    /// <summary>The effective options.</summary>
    public ConnectionOptions Options { get; }

    /// <summary>The read-write endpoint.</summary>
    public PgEndpoint Primary { get; }

    /// <summary>The read replicas, possibly none.</summary>
    public IReadOnlyList<PgEndpoint> Replicas => _replicas;

    /// <summary>Primary first, then replicas.</summary>
    public IEnumerable<PgEndpoint> Endpoints => _replicas.Prepend(Primary);

    /// <summary>The read-your-writes session of this async flow (set by <see cref="BeginSession"/>), or null.</summary>
    public static string? CurrentSession => AmbientSession.Value;

    /// <summary>
    /// Makes <paramref name="session"/> (a user id, a request id) the read-your-writes session of
    /// every call in this async flow until disposed: writes record the primary's WAL position for
    /// it, reads go only to replicas that have replayed that far. ASP.NET Core middleware can begin
    /// one per request for the signed-in user.
    /// </summary>
    public static IDisposable BeginSession(string session)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(session);
        var previous = AmbientSession.Value;
        AmbientSession.Value = session;
        return new SessionScope(previous);
    }

    /// <summary>Measures every replica's lag now (the background probe does it every <see cref="ConnectionOptions.LagProbeInterval"/>).</summary>
    public Task RefreshLagAsync(CancellationToken cancellationToken = default) => _lagProbe.ProbeAsync(cancellationToken);

    /// <summary>
    /// Runs <paramref name="operation"/> on a connection from the endpoint <paramref name="intent"/>
    /// selects. The connection is opened before and returned to the pool after the delegate.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TResult> ExecuteAsync<TState, TResult>(
        DbIntent intent,
        TState state,
        Func<NpgsqlConnection, TState, CancellationToken, ValueTask<TResult>> operation,
        PgCallOptions options = default,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var info = new CallInfo
            {
                Idempotent = intent == DbIntent.Read || options.Idempotent,
                Deadline = Stopwatch.GetTimestamp() + _totalTimeoutTicks,
                QueryType = options.QueryType,
                Strategy = options.Strategy,
                MinWalPosition = options.MinWalPosition,
                Session = options.Session ?? AmbientSession.Value,
                ResetSession = options.ResetSession,
            };
            if (intent == DbIntent.Read && info.Session is { } session && info.QueryType != QueryType.Consistent && _replicas.Length > 0
                && await _sessions.FloorAsync(session).ConfigureAwait(false) is { } floor
                && (info.MinWalPosition is not { } given || (ulong)floor > (ulong)given))
            {
                info.MinWalPosition = floor;
            }

            context.Properties.Set(CallInfoKey, info);
            var call = new Call<TState, TResult>(this, intent, state, operation, info);
            // Polly's Outcome API: failures travel as values, not rethrown through every layer. Results
            // travel as object, the strategies' own type; any other type makes Polly bridge every
            // outcome in an extra async step per strategy, which costs more than a boxed value.
            // The first attempt runs outside the retry strategy (one async layer and ~700 B less per
            // call); only a failure that may be retried enters it, as the outcome of its first
            // attempt, so Polly's backoff, OnRetry and attempt count are what they would have been.
            var outcome = await AttemptAsync(context, call).ConfigureAwait(false);
            if (!options.DisableRetry && outcome.Exception is { } failed && ShouldRetry(context, failed))
            {
                outcome = await _retrying.ExecuteOutcomeAsync(static (ctx, r) => r.NextAsync(ctx), context, new RetryAfterFirst<TState, TResult>(call, outcome)).ConfigureAwait(false);
            }
            if (outcome.Exception is BrokenCircuitException && info.LastError is { } cause)
            {
                // The circuit opened on this call's own failures (timeouts behind a lock, say): report
                // what happened to the call, not that the last retry was refused.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            }

            outcome.ThrowIfException();
            return (TResult)outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> inside a transaction that is committed when it returns.
    /// A retry re-runs the whole transaction on a fresh connection.
    /// </summary>
    public ValueTask<TResult> ExecuteInTransactionAsync<TState, TResult>(
        DbIntent intent,
        TState state,
        Func<NpgsqlConnection, NpgsqlTransaction, TState, CancellationToken, ValueTask<TResult>> operation,
        PgCallOptions options = default,
        System.Data.IsolationLevel isolationLevel = System.Data.IsolationLevel.ReadCommitted,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return ExecuteAsync(
            intent,
            (state, operation, isolationLevel),
            static async (conn, s, ct) =>
            {
                await using var tx = await conn.BeginTransactionAsync(s.isolationLevel, ct).ConfigureAwait(false);
                var result = await s.operation(conn, tx, s.state, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return result;
            },
            options,
            cancellationToken);
    }

    /// <summary>
    /// Receives every command run on connections this manager hands out, timed by the manager
    /// (set by the monitoring's query tracker). Null: no timing at all.
    /// </summary>
    public ICommandObserver? CommandObserver
    {
        get => Primary.Commands.Observer;
        set
        {
            foreach (var endpoint in Endpoints)
            {
                endpoint.Commands.Observer = value;
            }
        }
    }

    /// <summary>Chooses the endpoint a read (of the given type) would use now; writes always use the primary.</summary>
    public PgEndpoint SelectEndpoint(DbIntent intent, QueryType queryType = QueryType.ReadOnly) =>
        intent == DbIntent.Write ? Primary : _readers.SelectReader(new ReadRequest(Primary, _replicas, queryType, null, null, 0, null));

    private ValueTask<Outcome<object?>> AttemptAsync<TState, TResult>(ResilienceContext context, Call<TState, TResult> call)
    {
        var info = call.Info;
        var endpoint = call.Intent == DbIntent.Write || _replicas.Length == 0
            ? Primary
            : _readers.SelectReader(new ReadRequest(Primary, _replicas, info.QueryType, info.Strategy, info.MinWalPosition, info.Attempt, info.LastFailed));
        info.Attempt++;
        info.Endpoint = endpoint.Name;
        info.LastFailed = endpoint; // cleared below on success: a retry avoids where this attempt failed
        info.BeforeExecution = true;
        return endpoint.Pipeline.ExecuteOutcomeAsync(
            [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
            static async ValueTask<Outcome<object?>> (ResilienceContext ctx, (PgEndpoint Endpoint, Call<TState, TResult> Call) s) =>
            {
                var (endpoint, call) = s;
                NpgsqlConnection connection;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    connection = await endpoint.CallSource.OpenConnectionAsync(ctx.CancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    endpoint.RecordAttempt(0, failed: true);
                    return Outcome.FromException<object?>(ex);
                }

                endpoint.EnterConnection();
                var clock = endpoint.Commands.Track(connection);
                Exception? failure = null;
                try
                {
                    var opened = Stopwatch.GetTimestamp();
                    var waited = opened - started;
                    started = opened; // the endpoint's latency is its work, not the pool's (a physical connect is rare and not representative)
                    endpoint.ConnectionWait.RecordTicks(waited);
                    PgOptimizerDiagnostics.ConnectionWait.Record((double)waited / Stopwatch.Frequency, new KeyValuePair<string, object?>("endpoint", endpoint.Name));
                    call.Info.BeforeExecution = false;
                    var result = await call.Operation(connection, call.State, ctx.CancellationToken).ConfigureAwait(false);
                    if (call.Intent == DbIntent.Write && call.Info.Session is { } session && call.Manager._replicas.Length > 0)
                    {
                        await call.Manager.RecordWritePositionAsync(connection, session, ctx.CancellationToken).ConfigureAwait(false);
                    }

                    call.Info.LastFailed = null;
                    return Outcome.FromResult<object?>(result);
                }
                catch (Exception ex)
                {
                    failure = ex;
                    return Outcome.FromException<object?>(ex);
                }
                finally
                {
                    if (clock is not null)
                    {
                        endpoint.Commands.Untrack(connection, clock, failure);
                    }

                    endpoint.RecordAttempt(Stopwatch.GetTimestamp() - started, failure is not null);
                    if (endpoint.ResetsChangedSessions && (call.Info.ResetSession || clock?.ChangesSession == true))
                    {
                        await call.Manager.ResetSessionAsync(endpoint, connection).ConfigureAwait(false);
                    }

                    endpoint.LeaveConnection();
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            },
            context,
            (endpoint, call));
    }

    /// <summary>
    /// Puts a session a call changed back to its initial state, as Npgsql's own reset on return
    /// would (its statements, without deallocating the prepared ones). Should that fail, the pool is
    /// cleared rather than hand the changed session to another call.
    /// </summary>
    private async ValueTask ResetSessionAsync(PgEndpoint endpoint, NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return; // broken: Npgsql discards it
        }

        try
        {
            await using var cmd = new NpgsqlCommand(ResetSql, connection);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            endpoint.CountSessionReset();
            PgOptimizerDiagnostics.SessionResets.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint.Name));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            LogResetFailed(_logger, endpoint.Name, ex.Message);
            NpgsqlConnection.ClearPool(connection);
        }
    }

    private const string ResetSql = PgOptimizerDiagnostics.SqlMarker +
        "SET SESSION AUTHORIZATION DEFAULT; RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD SEQUENCES; DISCARD TEMP";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resetting a changed session on {Endpoint} failed ({Error}); its pool is cleared so that no other call gets the session")]
    private static partial void LogResetFailed(ILogger logger, string endpoint, string error);

    /// <summary>After a committed write of a session: the primary's WAL insert position, for the session's reads.</summary>
    private async ValueTask RecordWritePositionAsync(NpgsqlConnection connection, string session, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT pg_current_wal_insert_lsn()", connection);
        var position = (NpgsqlTypes.NpgsqlLogSequenceNumber)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        await _sessions.RecordAsync(session, position).ConfigureAwait(false);
    }

    private static bool ShouldRetry(ResilienceContext context, Exception? exception)
    {
        if (exception is null || context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var info = context.Properties.GetValue(CallInfoKey, null!);
        if (info is not null && exception is not BrokenCircuitException)
        {
            info.LastError = exception;
        }

        if (info is null || Stopwatch.GetTimestamp() >= info.Deadline)
        {
            return false; // past the total timeout: no new attempt
        }

        var kind = PostgresErrorClassifier.Classify(exception, info.BeforeExecution);
        return PostgresErrorClassifier.ShouldRetry(kind, info.Idempotent);
    }

    private static string Describe(Exception? exception) => exception switch
    {
        null => "no exception",
        PostgresException pg => $"SQLSTATE {pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: { } inner } npg => $"{npg.GetType().Name} ({inner.GetType().Name}): {npg.Message}",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    private void OnCircuitChange(PgEndpoint endpoint, CircuitState state)
    {
        PgOptimizerDiagnostics.CircuitTransitions.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint.Name), new KeyValuePair<string, object?>("state", state.ToString()));
        LogCircuit(_logger, endpoint.Name, state);
    }

    private static NpgsqlConnectionStringBuilder WithStatementTimeout(NpgsqlConnectionStringBuilder b, TimeSpan? timeout)
    {
        if (timeout is { } t)
        {
            b.CommandTimeout = Math.Max(1, (int)Math.Ceiling(t.TotalSeconds));
        }

        return b;
    }

    /// <summary>
    /// Parses a connection string and applies the manager's defaults where it sets nothing:
    /// application name, pool size, automatic preparation (off behind PgBouncer transaction-mode
    /// poolers), and for Neon: TLS required and a connect timeout that tolerates cold starts.
    /// </summary>
    internal static NpgsqlConnectionStringBuilder BuildSettings(string connectionString, ConnectionOptions options, string what)
    {
        var b = ConnectionStringParser.Parse(connectionString, what);
        // The settings the string gives, by their exact keys: a substring test would take "Command
        // Timeout" (or a password containing "Timeout") for "Timeout".
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = b.ConnectionString };
        bool Has(string key) => given.ContainsKey(key);
        var host = HostKind.Of(b.Host);

        if (!Has("Application Name"))
        {
            b.ApplicationName = options.ApplicationName;
        }

        if (!Has("Maximum Pool Size") && !Has("Max Pool Size"))
        {
            b.MaxPoolSize = options.MaxPoolSize;
        }

        if (!Has("Command Timeout") && !Has("CommandTimeout"))
        {
            // The per-attempt timeout is Npgsql's own (it cancels the statement on the server);
            // the whole operation, retries included, is bounded by the total timeout.
            b.CommandTimeout = Math.Max(1, (int)Math.Ceiling(options.AttemptTimeout.TotalSeconds));
        }

        if (host.IsPooler)
        {
            // PgBouncer in transaction mode: a server connection is only ours for one transaction,
            // so server-side prepared statements and session state cannot be relied upon.
            b.MaxAutoPrepare = 0;
            b.NoResetOnClose = true;
        }
        else if (!Has("Max Auto Prepare"))
        {
            b.MaxAutoPrepare = options.MaxAutoPrepare;
        }

        if (host.IsNeon)
        {
            if (!Has("SSL Mode") && !Has("SslMode"))
            {
                b.SslMode = SslMode.Require;
            }

            if (!Has("Timeout"))
            {
                b.Timeout = ConnectionDefaults.NeonConnectTimeoutSeconds; // a suspended compute takes seconds to wake
            }
        }

        return b;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _lagProbe.DisposeAsync().ConfigureAwait(false);
        _sessionWatch?.Dispose();
        foreach (var endpoint in Endpoints)
        {
            await endpoint.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retry {Attempt} on {Endpoint} after {Failure}; waiting {DelayMs:F0} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, string endpoint, string failure, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit of endpoint {Endpoint} is now {State}")]
    private static partial void LogCircuit(ILogger logger, string endpoint, CircuitState state);

    private readonly record struct Call<TState, TResult>(
        PgConnectionManager Manager,
        DbIntent Intent,
        TState State,
        Func<NpgsqlConnection, TState, CancellationToken, ValueTask<TResult>> Operation,
        CallInfo Info);

    /// <summary>Hands the retry strategy the first attempt's outcome as its own first attempt, then runs the real ones.</summary>
    private sealed class RetryAfterFirst<TState, TResult>(Call<TState, TResult> call, Outcome<object?> first)
    {
        private bool _replayed;

        public ValueTask<Outcome<object?>> NextAsync(ResilienceContext context)
        {
            if (!_replayed)
            {
                _replayed = true;
                return ValueTask.FromResult(first);
            }

            return call.Manager.AttemptAsync(context, call);
        }
    }

    /// <summary>What retry decisions need to know about one call; one small object per call.</summary>
    private sealed class CallInfo
    {
        public bool Idempotent;
        public bool BeforeExecution;
        public string Endpoint = "?";
        public long Deadline;
        public QueryType QueryType;
        public string? Strategy;
        public NpgsqlTypes.NpgsqlLogSequenceNumber? MinWalPosition;
        public string? Session;
        public int Attempt;
        public PgEndpoint? LastFailed;
        public bool ResetSession;

        /// <summary>The last failure of an attempt that ran (not a rejection by an open circuit).</summary>
        public Exception? LastError;
    }

    private sealed class SessionScope(string? previous) : IDisposable
    {
        public void Dispose() => AmbientSession.Value = previous;
    }
}
