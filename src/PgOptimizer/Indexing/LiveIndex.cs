namespace PgOptimizer.Indexing;

/// <summary>An index as it exists in the database, read from pg_index.</summary>
public sealed record LiveIndex
{
    /// <summary>The schema of its table.</summary>
    public required string Schema { get; init; }

    /// <summary>The table it indexes.</summary>
    public required string Table { get; init; }

    /// <summary>The index name.</summary>
    public required string Name { get; init; }

    /// <summary>Access method (btree, gin, ...).</summary>
    public required string Method { get; init; }

    /// <summary>A unique index.</summary>
    public bool Unique { get; init; }

    /// <summary>The primary key's index.</summary>
    public bool Primary { get; init; }

    /// <summary>Backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint.</summary>
    public bool IsConstraint { get; init; }

    /// <summary>False for an index a failed concurrent build left behind.</summary>
    public bool Valid { get; init; }

    /// <summary>Key columns or expressions as PostgreSQL prints them.</summary>
    public required IReadOnlyList<string> Keys { get; init; }

    /// <summary>Per key: descending order.</summary>
    public required IReadOnlyList<bool> Descending { get; init; }

    /// <summary>Per key: NULLS FIRST.</summary>
    public required IReadOnlyList<bool> NullsFirst { get; init; }

    /// <summary>Per key: the operator class when it is not the type's default, else null.</summary>
    public required IReadOnlyList<string?> OpClasses { get; init; }

    /// <summary>INCLUDE columns.</summary>
    public required IReadOnlyList<string> Include { get; init; }

    /// <summary>The WHERE clause of a partial index, as PostgreSQL prints it.</summary>
    public string? Predicate { get; init; }

    /// <summary>pg_get_indexdef.</summary>
    public required string Definition { get; init; }

    /// <summary>Size on disk.</summary>
    public long SizeBytes { get; init; }

    /// <summary>schema.table.</summary>
    public string QualifiedTable => $"{Schema}.{Table}";
}
