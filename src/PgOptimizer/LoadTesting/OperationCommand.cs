using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

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

        // a RETURNING inside a WITH returns nothing to the client: then the outer statement's count
        return Math.Max(rows, reader.RecordsAffected);
    }

    /// <summary>
    /// Runs the statement and writes its rows as a JSON array of objects, column name to value. The
    /// JSON is written into a pooled buffer and copied once, at its final size, into the result; each
    /// value is read with its column's typed getter (no boxing).
    /// </summary>
    public static async ValueTask<QueryResult> QueryAsync(NpgsqlConnection connection, WorkloadOperation operation, object?[] parameters, CancellationToken ct)
    {
        await using var cmd = Command(connection, operation, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        using var buffer = new PooledByteWriter();
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

        return new QueryResult(rows, buffer.WrittenSpan.ToArray());
    }

    private static void WriteValue(System.Text.Json.Utf8JsonWriter json, NpgsqlDataReader reader, int i)
    {
        if (reader.IsDBNull(i))
        {
            json.WriteNullValue();
            return;
        }

        var type = reader.GetFieldType(i);
        if (type == typeof(string))
        {
            var text = reader.GetString(i);
            if (reader.GetDataTypeName(i) is "jsonb" or "json")
            {
                json.WriteRawValue(text, skipInputValidation: true);
            }
            else
            {
                json.WriteStringValue(text);
            }
        }
        else if (type == typeof(int))
        {
            json.WriteNumberValue(reader.GetInt32(i));
        }
        else if (type == typeof(long))
        {
            json.WriteNumberValue(reader.GetInt64(i));
        }
        else if (type == typeof(short))
        {
            json.WriteNumberValue(reader.GetInt16(i));
        }
        else if (type == typeof(decimal))
        {
            json.WriteNumberValue(reader.GetDecimal(i));
        }
        else if (type == typeof(double))
        {
            json.WriteNumberValue(reader.GetDouble(i));
        }
        else if (type == typeof(bool))
        {
            json.WriteBooleanValue(reader.GetBoolean(i));
        }
        else if (type == typeof(DateTime))
        {
            json.WriteStringValue(reader.GetDateTime(i));
        }
        else if (type == typeof(Guid))
        {
            json.WriteStringValue(reader.GetGuid(i));
        }
        else
        {
            json.WriteStringValue(Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>An <see cref="System.Buffers.IBufferWriter{T}"/> on arrays rented from the shared pool, returned on dispose.</summary>
    private sealed class PooledByteWriter : System.Buffers.IBufferWriter<byte>, IDisposable
    {
        private byte[] _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
        private int _written;

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_written);
        }

        private void Ensure(int sizeHint)
        {
            var needed = _written + Math.Max(1, sizeHint);
            if (needed <= _buffer.Length)
            {
                return;
            }

            var larger = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _written).CopyTo(larger);
            System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        public void Dispose()
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
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
