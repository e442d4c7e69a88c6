namespace PgOptimizer.Indexing;

/// <summary>The generic plan of a normalized statement.</summary>
/// <param name="TotalCost">The planner's total cost (0 when it could not be explained).</param>
/// <param name="PlanJson">PostgreSQL's EXPLAIN (FORMAT JSON) plan node, or null.</param>
/// <param name="Error">Why it could not be explained, or null.</param>
public sealed record StatementPlan(double TotalCost, string? PlanJson, string? Error);
