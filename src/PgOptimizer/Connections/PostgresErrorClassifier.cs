using System.Net.Sockets;
using Npgsql;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace PgOptimizer.Connections;

/// <summary>Classifies exceptions from Npgsql and Polly for retry and circuit-breaker decisions.</summary>
internal static class PostgresErrorClassifier
{
    /// <summary>Classifies <paramref name="exception"/>; <paramref name="beforeExecution"/> says the failure came while opening the connection.</summary>
    public static FailureKind Classify(Exception exception, bool beforeExecution = false)
    {
        switch (exception)
        {
            case PostgresException pg:
                return ClassifySqlState(pg.SqlState, beforeExecution);
            case BrokenCircuitException:
                return FailureKind.TransientNotApplied; // rejected before anything was sent
            case TimeoutRejectedException:
                return beforeExecution ? FailureKind.TransientNotApplied : FailureKind.TransientOutcomeUnknown;
            case OperationCanceledException:
                return FailureKind.Cancelled;
            case NpgsqlException npgsql:
                if (npgsql.InnerException is PostgresException inner)
                {
                    return ClassifySqlState(inner.SqlState, beforeExecution);
                }

                if (npgsql.InnerException is TimeoutException or IOException or SocketException || npgsql.IsTransient)
                {
                    return beforeExecution ? FailureKind.TransientNotApplied : FailureKind.TransientOutcomeUnknown;
                }

                return FailureKind.Permanent;
            case IOException or SocketException or TimeoutException:
                return beforeExecution ? FailureKind.TransientNotApplied : FailureKind.TransientOutcomeUnknown;
            default:
                return FailureKind.Permanent;
        }
    }

    /// <summary>Classifies a SQLSTATE.</summary>
    public static FailureKind ClassifySqlState(string sqlState, bool beforeExecution = false)
    {
        ArgumentNullException.ThrowIfNull(sqlState);
        switch (sqlState)
        {
            case SqlStates.QueryCanceled:
                return FailureKind.Cancelled;
            case SqlStates.TransactionResolutionUnknown:
            case SqlStates.StatementCompletionUnknown:
                return FailureKind.TransientOutcomeUnknown;
            case SqlStates.SerializationFailure:
            case SqlStates.DeadlockDetected:
            case SqlStates.LockNotAvailable:
            case SqlStates.CannotConnectNow:
            case SqlStates.SqlClientUnableToEstablishConnection:
            case SqlStates.SqlServerRejectedConnection:
                return FailureKind.TransientNotApplied;
            case SqlStates.AdminShutdown:
            case SqlStates.CrashShutdown:
                return beforeExecution ? FailureKind.TransientNotApplied : FailureKind.TransientOutcomeUnknown;
        }

        if (sqlState.StartsWith(SqlStates.InsufficientResourcesClass, StringComparison.Ordinal))
        {
            // 53xxx (too many connections, out of memory, disk full) are raised before the
            // statement takes effect, and the transaction is rolled back.
            return FailureKind.TransientNotApplied;
        }

        if (sqlState.StartsWith(SqlStates.ConnectionExceptionClass, StringComparison.Ordinal))
        {
            return beforeExecution ? FailureKind.TransientNotApplied : FailureKind.TransientOutcomeUnknown;
        }

        return FailureKind.Permanent;
    }

    /// <summary>True when an operation that failed this way may run again.</summary>
    public static bool ShouldRetry(FailureKind kind, bool idempotent) => kind switch
    {
        FailureKind.TransientNotApplied => true,
        FailureKind.TransientOutcomeUnknown => idempotent,
        _ => false,
    };

    /// <summary>True when the failure says the endpoint itself is unwell (counts toward its circuit breaker).</summary>
    public static bool IsEndpointFailure(Exception exception) =>
        exception is not BrokenCircuitException &&
        Classify(exception) is FailureKind.TransientNotApplied or FailureKind.TransientOutcomeUnknown &&
        exception is not PostgresException { SqlState: SqlStates.SerializationFailure or SqlStates.DeadlockDetected or SqlStates.LockNotAvailable };
}
