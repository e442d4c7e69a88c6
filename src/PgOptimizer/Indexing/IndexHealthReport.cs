namespace PgOptimizer.Indexing;

/// <summary>The result of an index health check.</summary>
public sealed record IndexHealthReport(HealthLevel Status, DateTimeOffset? StatsSince, IReadOnlyList<IndexFinding> Findings, IndexCoverage? Coverage, IReadOnlyList<IndexBloat> Bloat, string? CoverageUnavailable);
