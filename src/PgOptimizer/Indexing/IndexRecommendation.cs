using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

/// <summary>One recommended index; <see cref="Ddl"/> is the exact CREATE INDEX CONCURRENTLY statement.</summary>
public sealed record IndexRecommendation(
    string Name,
    string Table,
    IReadOnlyList<string> Columns,
    string? Where,
    string Method,
    string Ddl,
    long EstimatedSizeBytes,
    double Benefit,
    double WriteCost,
    IReadOnlyList<RecommendedQuery> Queries,
    [property: JsonIgnore] IndexDefinition Definition);
