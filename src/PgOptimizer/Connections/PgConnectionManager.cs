using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Connections;

/// <summary>
/// The resilient connection manager: one pooled <see cref="NpgsqlDataSource"/> per endpoint, reads
/// routed to replicas through <see cref="IReaderSelector"/>, writes to the primary, and every
/// operation run under Polly: total timeout → retry (exponential backoff with jitter, only for
/// failures <see cref="PostgresErrorClassifier"/> calls transient, and only when re-running cannot
/// apply the work twice) → the chosen endpoint's circuit breaker → the attempt, bounded by Npgsql's
/// connect timeout and command timeout (which cancels the statement on the server).
/// An operation is a whole unit: a retry runs the whole delegate again on a fresh connection,
/// so a transaction is retried whole, never a single statement inside it.
/// </summary>
public sealed partial class PgConnectionManager : IAsyncDisposable
{
    private static readonly ResiliencePropertyKey<bool> BeforeExecutionKey = new("pgopt.before-execution");
    private static readonly ResiliencePropertyKey<bool> IdempotentKey = new("pgopt.idempotent");
    private static readonly ResiliencePropertyKey<string> EndpointKey = new("pgopt.endpoint");

    private readonly ILogger _logger;
    private readonly IReaderSelector _readers;
    private readonly ResiliencePipeline _retrying;
    private readonly ResiliencePipeline _single;
    private readonly PgEndpoint[] _replicas;

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

        _retrying = new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions { Name = "total-timeout", Timeout = o.TotalTimeout })
            .AddRetry(new RetryStrategyOptions
            {
                Name = "transient-retry",
                MaxRetryAttempts = Math.Max(1, o.MaxRetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.RetryBaseDelay,
                MaxDelay = o.RetryMaxDelay,
                ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Context, args.Outcome.Exception)),
                OnRetry = args =>
                {
                    PgOptimizerDiagnostics.Retries.Add(1, new KeyValuePair<string, object?>("endpoint", args.Context.Properties.GetValue(EndpointKey, "?")));
                    LogRetry(_logger, args.AttemptNumber + 1, args.Context.Properties.GetValue(EndpointKey, "?"), Describe(args.Outcome.Exception), args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();
        if (o.MaxRetryAttempts == 0)
        {
            _retrying = new ResiliencePipelineBuilder()
                .AddTimeout(new TimeoutStrategyOptions { Name = "total-timeout", Timeout = o.TotalTimeout })
                .Build();
        }

        _single = new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions { Name = "total-timeout", Timeout = o.TotalTimeout })
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
            context.Properties.Set(IdempotentKey, intent == DbIntent.Read || options.Idempotent);
            var call = new Call<TState, TResult>(this, intent, state, operation);
            var pipeline = options.DisableRetry ? _single : _retrying;
            return await pipeline.ExecuteAsync(static (ctx, c) => c.Manager.AttemptAsync(ctx, c), context, call).ConfigureAwait(false);
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

    /// <summary>Chooses the endpoint a read would use now.</summary>
    public PgEndpoint SelectEndpoint(DbIntent intent) =>
        intent == DbIntent.Write ? Primary : _readers.SelectReader(Primary, _replicas);

    private async ValueTask<TResult> AttemptAsync<TState, TResult>(ResilienceContext context, Call<TState, TResult> call)
    {
        var endpoint = SelectEndpoint(call.Intent);
        context.Properties.Set(EndpointKey, endpoint.Name);
        context.Properties.Set(BeforeExecutionKey, true);
        return await endpoint.Pipeline.ExecuteAsync(
            static async (ctx, s) =>
            {
                var (endpoint, call) = s;
                var started = Stopwatch.GetTimestamp();
                var connection = await endpoint.DataSource.OpenConnectionAsync(ctx.CancellationToken).ConfigureAwait(false);
                endpoint.EnterConnection();
                try
                {
                    PgOptimizerDiagnostics.ConnectionWait.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("endpoint", endpoint.Name));
                    ctx.Properties.Set(BeforeExecutionKey, false);
                    return await call.Operation(connection, call.State, ctx.CancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    endpoint.LeaveConnection();
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            },
            context,
            (endpoint, call)).ConfigureAwait(false);
    }

    private static bool ShouldRetry(ResilienceContext context, Exception? exception)
    {
        if (exception is null || context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var kind = PostgresErrorClassifier.Classify(exception, context.Properties.GetValue(BeforeExecutionKey, false));
        return PostgresErrorClassifier.ShouldRetry(kind, context.Properties.GetValue(IdempotentKey, false));
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
        Func<NpgsqlConnection, TState, CancellationToken, ValueTask<TResult>> Operation);
}
