namespace PgOptimizer.Indexing;

/// <summary>Bloat estimate of one btree index; null figures mean unknown (and why).</summary>
public sealed record IndexBloat(string Index, string Table, long SizeBytes, long? ExpectedBytes, double? BloatRatio, string? UnknownReason);
