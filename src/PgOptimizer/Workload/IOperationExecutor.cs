using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Workload;

/// <summary>Runs one workload operation; returns the rows it read or wrote.</summary>
public interface IOperationExecutor
{
    string Name { get; }

    ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken);
}

/// <summary>Runs operations through <see cref="PgConnectionManager"/>: routing, retries, breakers.</summary>
public sealed class ConnectionManagerExecutor(PgConnectionManager manager) : IOperationExecutor
{
    public string Name => "pgoptimizer";

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
}

/// <summary>
/// Runs operations the way the application does with the cache: reads that have a caching policy
/// go through <see cref="Caching.SmartCache.GetOrSetAsync{T}"/> (the result stands in as its row
/// count), writes run and then invalidate the tags they make stale.
/// </summary>
public sealed class CachedExecutor(IOperationExecutor inner, Caching.SmartCache cache) : IOperationExecutor
{
    public string Name => inner.Name + "+cache";

    public async ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Intent == DbIntent.Read && operation.Cache is { } c)
        {
            return await cache.GetOrSetAsync(c.Key(parameters), ct => inner.ExecuteAsync(operation, parameters, ct).AsTask(), c.Strategy, c.Tags(parameters), cancellationToken).ConfigureAwait(false);
        }

        var rows = await inner.ExecuteAsync(operation, parameters, cancellationToken).ConfigureAwait(false);
        if (operation.Invalidates is { } i)
        {
            await cache.InvalidateByTagsAsync(i.Tags(parameters), i.Strategies, cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }
}

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
}

internal static class OperationCommand
{
    public static async ValueTask<int> RunAsync(NpgsqlConnection connection, WorkloadOperation operation, object?[] parameters, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(operation.Sql, connection);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = p ?? DBNull.Value });
        }

        if (operation.Intent == DbIntent.Write && !operation.Sql.Contains("RETURNING", StringComparison.OrdinalIgnoreCase))
        {
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = 0;
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows++;
        }

        return rows;
    }
}
