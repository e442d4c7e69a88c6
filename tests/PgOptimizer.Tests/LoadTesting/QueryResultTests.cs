using System.Text;
using PgOptimizer.Caching;
using PgOptimizer.LoadTesting;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace PgOptimizer.Tests.LoadTesting;

public sealed class QueryResultTests
{
    private const string Rows = """[{"id":7,"title":"Solar \"battery\" – grid","metadata":{"stage":"idea"}}]""";

    [Fact]
    public void The_rows_are_kept_as_utf8_and_read_back_as_text()
    {
        var result = new QueryResult(1, Rows);
        Assert.Equal(Encoding.UTF8.GetBytes(Rows), result.Utf8Json.ToArray());
        Assert.Equal(Rows, result.Json);
        var (count, json) = result;
        Assert.Equal((1, Rows), (count, json));
    }

    [Fact]
    public void In_redis_the_rows_are_json_not_an_escaped_string_and_come_back_the_same()
    {
        // The Redis tier's serializer, as a strategy that compresses uses it.
        var serializer = new CompressingSerializer(new FusionCacheSystemTextJsonSerializer(), compress: true, threshold: 1 << 20, new CacheStrategyStats("test"));
        var stored = serializer.Serialize(new QueryResult(1, Rows));
        var text = Encoding.UTF8.GetString(stored, 1, stored.Length - 1);
        Assert.Contains("\"metadata\":{\"stage\":\"idea\"}", text, StringComparison.Ordinal); // the value itself, not \"-escaped
        Assert.True(stored.Length - 1 < Encoding.UTF8.GetByteCount(Rows) + 40, text);

        var back = serializer.Deserialize<QueryResult>(stored)!;
        Assert.Equal(1, back.Rows);
        Assert.Equal(Rows, back.Json);
    }

    [Fact]
    public void A_value_an_earlier_version_left_in_redis_keeps_its_rows()
    {
        var serializer = new FusionCacheSystemTextJsonSerializer();
        var earlier = serializer.Serialize(new { Rows = 1, Json = Rows }); // {"Rows":1,"Json":"[...]"}
        var back = serializer.Deserialize<QueryResult>(earlier)!;
        Assert.Equal(1, back.Rows);
        Assert.Equal(Rows, back.Json);
        Assert.Throws<System.Text.Json.JsonException>(() => serializer.Deserialize<QueryResult>(serializer.Serialize(new { Rows = 1 })));
    }
}
