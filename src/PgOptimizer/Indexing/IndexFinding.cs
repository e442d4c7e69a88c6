namespace PgOptimizer.Indexing;

/// <summary>One health finding with its evidence and the SQL that fixes it.</summary>
public sealed record IndexFinding(IndexFindingKind Kind, HealthLevel Level, string Table, string? Index, string Detail, IReadOnlyDictionary<string, object?> Evidence, string? Fix);
