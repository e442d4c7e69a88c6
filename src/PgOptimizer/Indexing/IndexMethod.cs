using System.Text;
using System.Text.Json.Serialization;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>Index access methods PgOptimizer builds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IndexMethod>))]
public enum IndexMethod
{
    Btree,
    Brin,
    Gin,
    Gist,
    Hash,
}
