using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>Runs operations on a plain <see cref="NpgsqlDataSource"/>: the baseline.</summary>
public sealed class RawNpgsqlExecutor(NpgsqlDataSource dataSource) : IOperationExecutor
{
    /// <inheritdoc />
    public string Name => "raw-npgsql";

    /// <summary>
    /// The baseline's connection string: the primary's, with the manager's pool size and automatic
    /// preparation (none on a transaction-mode pooler) and nothing else of the toolkit's.
    /// </summary>
    public static string ConnectionStringLike(PgConnectionManager connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        var b = ConnectionStringParser.Parse(connections.Options.ConnectionString!, "connection string");
        b.MaxPoolSize = connections.Primary.MaxPoolSize;
        b.MaxAutoPrepare = connections.Primary.Host.IsPooler ? 0 : connections.Options.MaxAutoPrepare;
        b.ApplicationName = "pgopt-raw";
        return b.ConnectionString;
    }

    /// <inheritdoc />
    public async ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await OperationCommand.RunAsync(conn, operation, parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await OperationCommand.QueryAsync(conn, operation, parameters, cancellationToken).ConfigureAwait(false);
    }
}
