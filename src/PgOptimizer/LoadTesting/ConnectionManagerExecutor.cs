using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>Runs operations through <see cref="PgConnectionManager"/>: routing, retries, breakers.</summary>
public sealed class ConnectionManagerExecutor(PgConnectionManager manager) : IOperationExecutor
{
    /// <inheritdoc />
    public string Name => "pgoptimizer";

    /// <inheritdoc />
    public ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return manager.ExecuteAsync(
            operation.Intent,
            (operation, parameters),
            static (conn, s, ct) => OperationCommand.RunAsync(conn, s.operation, s.parameters, ct),
            new PgCallOptions(Idempotent: operation.Idempotent),
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return manager.ExecuteAsync(
            operation.Intent,
            (operation, parameters),
            static (conn, s, ct) => OperationCommand.QueryAsync(conn, s.operation, s.parameters, ct),
            new PgCallOptions(Idempotent: operation.Idempotent),
            cancellationToken);
    }
}
