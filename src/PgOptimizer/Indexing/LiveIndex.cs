using Npgsql;

namespace PgOptimizer.Indexing;

/// <summary>An index as it exists in the database, read from pg_index.</summary>
public sealed record LiveIndex
{
    public required string Schema { get; init; }

    public required string Table { get; init; }

    public required string Name { get; init; }

    public required string Method { get; init; }

    public bool Unique { get; init; }

    public bool Primary { get; init; }

    /// <summary>Backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint.</summary>
    public bool IsConstraint { get; init; }

    public bool Valid { get; init; }

    /// <summary>Key columns or expressions as PostgreSQL prints them.</summary>
    public required IReadOnlyList<string> Keys { get; init; }

    /// <summary>Per key: descending order.</summary>
    public required IReadOnlyList<bool> Descending { get; init; }

    /// <summary>Per key: NULLS FIRST.</summary>
    public required IReadOnlyList<bool> NullsFirst { get; init; }

    /// <summary>Per key: the operator class when it is not the type's default, else null.</summary>
    public required IReadOnlyList<string?> OpClasses { get; init; }

    public required IReadOnlyList<string> Include { get; init; }

    public string? Predicate { get; init; }

    public required string Definition { get; init; }

    public long SizeBytes { get; init; }

    public string QualifiedTable => $"{Schema}.{Table}";
}
