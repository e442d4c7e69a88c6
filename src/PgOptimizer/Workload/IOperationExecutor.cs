using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Workload;

/// <summary>
/// Runs one workload operation; returns the rows it read or wrote. Reads are materialized as the JSON
/// an API would answer with, so that every executor does an application's work per read (and a cache
/// stores that, not a row count).
/// </summary>
public interface IOperationExecutor
{
    string Name { get; }

    ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken);

    /// <summary>Runs a read and returns its rows as JSON.</summary>
    ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken);
}

/// <summary>A read's result: its row count and the rows as a JSON array of objects.</summary>
public sealed record QueryResult(int Rows, string Json);

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

/// <summary>
/// Runs operations the way the application does with the cache: reads that have a caching policy
/// go through <see cref="Caching.SmartCache.GetOrSetAsync{T}"/> (the result stands in as its row
/// count), writes run and then invalidate the tags they make stale.
/// </summary>
public sealed class CachedExecutor(IOperationExecutor inner, Caching.SmartCache cache) : IOperationExecutor
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private long _requests;
    private long _firstRequests;

    public string Name => inner.Name + "+cache";

    /// <summary>Cacheable reads run through this executor.</summary>
    public long CacheableRequests => Interlocked.Read(ref _requests);

    /// <summary>
    /// The hit rate an ideal cache would have had on the same requests: every key's first request
    /// misses (unless warmed), nothing expires, nothing is invalidated, nothing is evicted. The
    /// measured hit rate is judged against it: below it are expiry, invalidation and memory limits;
    /// the gap up to 100 % is the workload's key space.
    /// </summary>
    public double? IdealHitRate => CacheableRequests == 0 ? null : 1 - (double)Interlocked.Read(ref _firstRequests) / CacheableRequests;

    /// <summary>Counts a key as already loaded (e.g. by a warm-up), so that its first request is no compulsory miss.</summary>
    public void MarkLoaded(string key) => _seen.TryAdd(key, 0);

    public async ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Intent == DbIntent.Read && operation.Cache is { } c)
        {
            return (await QueryAsync(operation, parameters, cancellationToken).ConfigureAwait(false)).Rows;
        }

        var rows = await inner.ExecuteAsync(operation, parameters, cancellationToken).ConfigureAwait(false);
        if (operation.Invalidates is { } i)
        {
            await cache.InvalidateByTagsAsync(i.Tags(parameters), i.Strategies, cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }

    public ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Cache is not { } c)
        {
            return inner.QueryAsync(operation, parameters, cancellationToken);
        }

        var key = c.Key(parameters);
        Interlocked.Increment(ref _requests);
        if (_seen.TryAdd(key, 0))
        {
            Interlocked.Increment(ref _firstRequests);
        }

        return cache.GetOrSetAsync(key, ct => inner.QueryAsync(operation, parameters, ct).AsTask(), c.Strategy, c.Tags(parameters), cancellationToken);
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

    public async ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await OperationCommand.QueryAsync(conn, operation, parameters, cancellationToken).ConfigureAwait(false);
    }
}

internal static class OperationCommand
{
    public static async ValueTask<int> RunAsync(NpgsqlConnection connection, WorkloadOperation operation, object?[] parameters, CancellationToken ct)
    {
        if (operation.Intent == DbIntent.Read)
        {
            return (await QueryAsync(connection, operation, parameters, ct).ConfigureAwait(false)).Rows;
        }

        await using var cmd = Command(connection, operation, parameters);
        if (!operation.Sql.Contains("RETURNING", StringComparison.OrdinalIgnoreCase))
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

    /// <summary>Runs the statement and writes its rows as a JSON array of objects, column name to value.</summary>
    public static async ValueTask<QueryResult> QueryAsync(NpgsqlConnection connection, WorkloadOperation operation, object?[] parameters, CancellationToken ct)
    {
        await using var cmd = Command(connection, operation, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        var rows = 0;
        await using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rows++;
                json.WriteStartObject();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    json.WritePropertyName(reader.GetName(i));
                    WriteValue(json, reader, i);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return new QueryResult(rows, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static void WriteValue(System.Text.Json.Utf8JsonWriter json, NpgsqlDataReader reader, int i)
    {
        if (reader.IsDBNull(i))
        {
            json.WriteNullValue();
            return;
        }

        switch (reader.GetValue(i))
        {
            case string text when reader.GetDataTypeName(i) is "jsonb" or "json":
                json.WriteRawValue(text, skipInputValidation: true);
                break;
            case string text:
                json.WriteStringValue(text);
                break;
            case int n:
                json.WriteNumberValue(n);
                break;
            case long n:
                json.WriteNumberValue(n);
                break;
            case short n:
                json.WriteNumberValue(n);
                break;
            case decimal n:
                json.WriteNumberValue(n);
                break;
            case double n:
                json.WriteNumberValue(n);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case DateTime t:
                json.WriteStringValue(t);
                break;
            case Guid g:
                json.WriteStringValue(g);
                break;
            case var other:
                json.WriteStringValue(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, WorkloadOperation operation, object?[] parameters)
    {
        var cmd = new NpgsqlCommand(operation.Sql, connection);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = p ?? DBNull.Value });
        }

        return cmd;
    }
}
