using System.Globalization;
using System.Text.Json.Serialization;
using Npgsql;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

public sealed record AdvisorReport(IReadOnlyList<IndexRecommendation> Recommendations, IReadOnlyList<QueryAdvice> Queries)
{
    /// <summary>The recommendations as a catalog, for apply.</summary>
    public IndexCatalog ToCatalog() => new(Recommendations.Select((r, i) => r.Definition with { Priority = i + 1 }));
}
