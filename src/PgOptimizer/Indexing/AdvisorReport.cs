namespace PgOptimizer.Indexing;

/// <summary>The index advisor's answer.</summary>
/// <param name="Recommendations">Indexes to build, by net benefit.</param>
/// <param name="Queries">A verdict for every statement examined, most total time first.</param>
public sealed record AdvisorReport(IReadOnlyList<IndexRecommendation> Recommendations, IReadOnlyList<QueryAdvice> Queries)
{
    /// <summary>The recommendations as a catalog, for apply.</summary>
    public IndexCatalog ToCatalog() => new(Recommendations.Select((r, i) => r.Definition with { Priority = i + 1 }));
}
