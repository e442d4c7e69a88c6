using Npgsql;

namespace PgOptimizer.Connections;

/// <summary>Short forms of <see cref="PgConnectionManager.ExecuteAsync{TState, TResult}"/>.</summary>
public static class PgConnectionManagerExtensions
{
    /// <summary>Runs a read (replica when available; always retried on transient failures).</summary>
    public static ValueTask<TResult> ReadAsync<TResult>(this PgConnectionManager manager, Func<NpgsqlConnection, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return manager.ExecuteAsync(DbIntent.Read, operation, static (c, op, ct) => op(c, ct), default, cancellationToken);
    }

    /// <summary>Runs a write on the primary; retried only when it certainly did not apply, or when marked idempotent.</summary>
    public static ValueTask<TResult> WriteAsync<TResult>(this PgConnectionManager manager, Func<NpgsqlConnection, CancellationToken, ValueTask<TResult>> operation, PgCallOptions options = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return manager.ExecuteAsync(DbIntent.Write, operation, static (c, op, ct) => op(c, ct), options, cancellationToken);
    }

    /// <summary>Runs one SQL command and returns its first column of the first row.</summary>
    public static ValueTask<object?> ScalarAsync(this PgConnectionManager manager, DbIntent intent, string sql, IReadOnlyList<object?>? parameters = null, PgCallOptions options = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return manager.ExecuteAsync(intent, (sql, parameters), static async (c, s, ct) =>
        {
            await using var cmd = CreateCommand(c, s.sql, s.parameters);
            var value = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }, options, cancellationToken);
    }

    /// <summary>Runs one SQL command and returns the rows it affected.</summary>
    public static ValueTask<int> NonQueryAsync(this PgConnectionManager manager, DbIntent intent, string sql, IReadOnlyList<object?>? parameters = null, PgCallOptions options = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return manager.ExecuteAsync(intent, (sql, parameters), static async (c, s, ct) =>
        {
            await using var cmd = CreateCommand(c, s.sql, s.parameters);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, options, cancellationToken);
    }

    /// <summary>A command with positional parameters ($1, $2, ...).</summary>
    public static NpgsqlCommand CreateCommand(NpgsqlConnection connection, string sql, IReadOnlyList<object?>? parameters)
    {
        var cmd = new NpgsqlCommand(sql, connection);
        if (parameters is not null)
        {
            foreach (var p in parameters)
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = p ?? DBNull.Value });
            }
        }

        return cmd;
    }
}
