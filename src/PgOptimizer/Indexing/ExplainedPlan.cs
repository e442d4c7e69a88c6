using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace PgOptimizer.Indexing;

/// <summary>An EXPLAIN result for one statement, or why there is none.</summary>
public sealed record ExplainedPlan(double TotalCost, JsonElement Plan, string? Error)
{
    public bool Ok => Error is null;
}
