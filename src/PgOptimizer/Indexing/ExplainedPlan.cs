using System.Text.Json;

namespace PgOptimizer.Indexing;

/// <summary>An EXPLAIN result for one statement, or why there is none.</summary>
internal sealed record ExplainedPlan(double TotalCost, JsonElement Plan, string? Error)
{
    public bool Ok => Error is null;
}
