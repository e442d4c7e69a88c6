using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

/// <summary>Index access methods PgOptimizer builds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IndexMethod>))]
public enum IndexMethod
{
    /// <summary>B-tree: equality, ranges, sorting.</summary>
    Btree,

    /// <summary>Block range: large, naturally ordered tables (time series).</summary>
    Brin,

    /// <summary>Generalized inverted: full-text, arrays, jsonb.</summary>
    Gin,

    /// <summary>Generalized search tree: geometry, ranges, nearest neighbour.</summary>
    Gist,

    /// <summary>Hash: equality only.</summary>
    Hash,
}
