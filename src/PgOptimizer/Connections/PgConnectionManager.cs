using System.Diagnostics;
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

    private readonly ILogger _logger;
    private readonly IReaderSelector _readers;
    private readonly ResiliencePipeline _retrying;
    private readonly long _totalTimeoutTicks;
    private readonly PgEndpoint[] _replicas;

    /// <summary>Creates the manager: one pooled data source per endpoint, with retry, breaker and timeouts per <see cref="ConnectionOptions"/>.</summary>
    public PgConnectionManager(IOptions<ConnectionOptions> options, IReaderSelector? readerSelector = null, ILogger<PgConnectionManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        o.Validate();
        Options = o;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _readers = readerSelector ?? new RoundRobinReaderSelector();

        Primary = new PgEndpoint("primary", EndpointRole.Primary, BuildSettings(o.ConnectionString!, o, "connection string"), o, OnCircuitChange);
        _replicas = o.ReplicaConnectionStrings
            .Select((cs, i) => new PgEndpoint($"replica{i + 1}", EndpointRole.Replica, BuildSettings(cs, o, $"replica connection string #{i + 1}"), o, OnCircuitChange))
            .ToArray();

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

    /// <summary>
    /// Runs <paramref name="operation"/> on a connection from the endpoint <paramref name="intent"/>
    /// selects. The connection is opened before and returned to the pool after the delegate.
    /// </summary>
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
            };
            context.Properties.Set(CallInfoKey, info);
            var call = new Call<TState, TResult>(this, intent, state, operation, info);
            // Polly's Outcome API: failures travel as values, not rethrown through every layer. Results
            // travel as object, the strategies' own type; any other type makes Polly bridge every
            // outcome in an extra async step per strategy, which costs more than a boxed value.
            var outcome = options.DisableRetry
                ? await AttemptAsync(context, call).ConfigureAwait(false)
                : await _retrying.ExecuteOutcomeAsync(static (ctx, c) => c.Manager.AttemptAsync(ctx, c), context, call).ConfigureAwait(false);
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

    /// <summary>Chooses the endpoint a read would use now.</summary>
    public PgEndpoint SelectEndpoint(DbIntent intent) =>
        intent == DbIntent.Write ? Primary : _readers.SelectReader(Primary, _replicas);

    private ValueTask<Outcome<object?>> AttemptAsync<TState, TResult>(ResilienceContext context, Call<TState, TResult> call)
    {
        var endpoint = SelectEndpoint(call.Intent);
        call.Info.Endpoint = endpoint.Name;
        call.Info.BeforeExecution = true;
        return endpoint.Pipeline.ExecuteOutcomeAsync(
            static async (ctx, s) =>
            {
                var (endpoint, call) = s;
                NpgsqlConnection connection;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    connection = await endpoint.DataSource.OpenConnectionAsync(ctx.CancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    return Outcome.FromException<object?>(ex);
                }

                endpoint.EnterConnection();
                var clock = endpoint.Commands.Track(connection);
                Exception? failure = null;
                try
                {
                    var waited = Stopwatch.GetTimestamp() - started;
                    endpoint.ConnectionWait.RecordTicks(waited);
                    PgOptimizerDiagnostics.ConnectionWait.Record((double)waited / Stopwatch.Frequency, new KeyValuePair<string, object?>("endpoint", endpoint.Name));
                    call.Info.BeforeExecution = false;
                    return Outcome.FromResult<object?>(await call.Operation(connection, call.State, ctx.CancellationToken).ConfigureAwait(false));
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

                    endpoint.LeaveConnection();
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            },
            context,
            (endpoint, call));
    }

    private static bool ShouldRetry(ResilienceContext context, Exception? exception)
    {
        if (exception is null || context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var info = context.Properties.GetValue(CallInfoKey, null!);
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

    /// <summary>
    /// Parses a connection string and applies the manager's defaults where it sets nothing:
    /// application name, pool size, automatic preparation (off behind PgBouncer transaction-mode
    /// poolers), and for Neon: TLS required and a connect timeout that tolerates cold starts.
    /// </summary>
    internal static NpgsqlConnectionStringBuilder BuildSettings(string connectionString, ConnectionOptions options, string what)
    {
        var b = ConnectionStringParser.Parse(connectionString, what);
        var given = b.ConnectionString;
        bool Has(string key) => given.Contains(key, StringComparison.OrdinalIgnoreCase);
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

    /// <summary>What retry decisions need to know about one call; one small object per call.</summary>
    private sealed class CallInfo
    {
        public bool Idempotent;
        public bool BeforeExecution;
        public string Endpoint = "?";
        public long Deadline;
    }
}
