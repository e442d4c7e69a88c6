namespace PgOptimizer.LoadTesting;

/// <summary>Progress of a run: time, operations (failed ones included) and errors so far, and the p95 latency of about the last second (null before any).</summary>
public readonly record struct WorkloadProgress(TimeSpan Elapsed, TimeSpan Duration, long Operations, long Errors, double? RecentP95Ms = null);
