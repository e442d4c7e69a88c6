using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>Runs operations on a plain <see cref="NpgsqlDataSource"/>: the baseline.</summary>
public sealed class RawNpgsqlExecutor(NpgsqlDataSource dataSource) : IOperationExecutor
{
    public string Name => "raw-npgsql";

    public async ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await OperationCommand.RunAsync(conn, operation, parameters, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await OperationCommand.QueryAsync(conn, operation, parameters, cancellationToken).ConfigureAwait(false);
    }
}
