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

        return new QueryResult(rows, buffer.WrittenSpan.ToArray());
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
