namespace PgOptimizer.Indexing;

/// <summary>Share of the workload whose plans avoid sequential scans on large tables.</summary>
public sealed record IndexCoverage(double ByCalls, double ByTime, int Statements, int Covered, IReadOnlyList<CoverageStatement> Uncovered, IReadOnlyList<UnexplainedStatement> Unexplainable);
