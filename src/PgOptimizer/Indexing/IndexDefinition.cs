using System.Text.Json.Serialization;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>
/// One index as code: what it is (table, keys, method, uniqueness, partial predicate, INCLUDE
/// columns) and why it exists (priority, expected impact, the query patterns it serves).
/// </summary>
public sealed record IndexDefinition
{
    /// <summary>The index name (at most 63 bytes).</summary>
    public required string Name { get; init; }

    /// <summary>Table name; may be schema-qualified ("app.users"). Default schema: the connection's.</summary>
    public required string Table { get; init; }

    /// <summary>Key columns or expressions, in order.</summary>
    public required IReadOnlyList<IndexKey> Keys { get; init; }

    /// <summary>Access method. Default btree.</summary>
    public IndexMethod Method { get; init; } = IndexMethod.Btree;

    /// <summary>A unique index (btree only). Default false.</summary>
    public bool Unique { get; init; }

    /// <summary>Partial-index predicate, e.g. <c>status = 'active'</c>.</summary>
    public string? Where { get; init; }

    /// <summary>Non-key columns stored in the index (btree, gist) for index-only scans.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Storage parameters, e.g. pages_per_range for BRIN, fillfactor.</summary>
    public IReadOnlyDictionary<string, string> With { get; init; } = new Dictionary<string, string>();

    /// <summary>1 = critical, built first; larger numbers later.</summary>
    public int Priority { get; init; } = 3;

    /// <summary>What the index is expected to do, for people.</summary>
    public string? Impact { get; init; }

    /// <summary>The query patterns (workload operation names or descriptions) it serves.</summary>
    public IReadOnlyList<string> Serves { get; init; } = [];

    /// <summary>The schema part of <see cref="Table"/>, or null.</summary>
    [JsonIgnore]
    public string? SchemaName => PgIdentifier.Parse(Table).Schema;

    /// <summary>The table part of <see cref="Table"/>.</summary>
    [JsonIgnore]
    public string TableName => PgIdentifier.Parse(Table).Name;

    /// <summary>The CREATE INDEX CONCURRENTLY statement (identifiers quoted).</summary>
    public string ToCreateSql(string? nameOverride = null, bool concurrently = true) => IndexDdl.Create(this, nameOverride, concurrently);
}
