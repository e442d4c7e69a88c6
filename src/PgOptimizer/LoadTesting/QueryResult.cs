using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// A read's result: its row count and the rows as a JSON array of objects, kept as the UTF-8 an
/// HTTP response carries. A cached result is live data every garbage collection moves while it is
/// young: UTF-8 is half the bytes of a .NET string, and it is written without a transcoding step.
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed record QueryResult
{
    /// <summary>A result from its UTF-8 JSON.</summary>
    public QueryResult(int Rows, ReadOnlyMemory<byte> Utf8Json)
    {
        this.Rows = Rows;
        this.Utf8Json = Utf8Json;
    }

    /// <summary>A result from its JSON text.</summary>
    public QueryResult(int Rows, string Json)
        : this(Rows, Encoding.UTF8.GetBytes(Json ?? throw new ArgumentNullException(nameof(Json))))
    {
    }

    /// <summary>Rows read.</summary>
    public int Rows { get; init; }

    /// <summary>The rows as a JSON array of objects, UTF-8 (stored in Redis as JSON, not as a string).</summary>
    public ReadOnlyMemory<byte> Utf8Json { get; init; }

    /// <summary>The rows as JSON text (decoded on each read).</summary>
    public string Json
    {
        get => Encoding.UTF8.GetString(Utf8Json.Span);
        init => Utf8Json = Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>The row count and the JSON text.</summary>
    public void Deconstruct(out int Rows, out string Json)
    {
        Rows = this.Rows;
        Json = this.Json;
    }

    /// <summary>
    /// <c>{"Rows":n,"Utf8Json":[...]}</c>: the rows as the JSON value they are, not an escaped string.
    /// Reads the earlier <c>{"Rows":n,"Json":"..."}</c> too, so that values another version of the
    /// application left in Redis keep their rows.
    /// </summary>
    private sealed class Converter : JsonConverter<QueryResult>
    {
        public override QueryResult? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(nameof(Rows), out var rows) || !rows.TryGetInt32(out var count))
            {
                throw new JsonException("Not a query result: an object with an integer Rows is expected.");
            }

            if (root.TryGetProperty(nameof(Utf8Json), out var utf8) && utf8.ValueKind != JsonValueKind.Null)
            {
                return new QueryResult(count, System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(utf8).ToArray()); // the bytes as stored
            }

            return root.TryGetProperty(nameof(Json), out var text) && text.ValueKind == JsonValueKind.String
                ? new QueryResult(count, text.GetString()!)
                : throw new JsonException("Not a query result: Utf8Json (or Json) is missing.");
        }

        public override void Write(Utf8JsonWriter writer, QueryResult value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteNumber(nameof(Rows), value.Rows);
            writer.WritePropertyName(nameof(Utf8Json));
            if (value.Utf8Json.IsEmpty)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteRawValue(value.Utf8Json.Span, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }
    }
}
