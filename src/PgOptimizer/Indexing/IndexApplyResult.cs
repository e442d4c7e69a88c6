namespace PgOptimizer.Indexing;

/// <summary>The outcome of one index action.</summary>
/// <param name="Name">The index.</param>
/// <param name="Table">Its table, schema-qualified.</param>
/// <param name="Action">What the plan asked for.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Elapsed">Time of the build or drop.</param>
/// <param name="SizeBytes">Size of the index afterwards (0 when none).</param>
/// <param name="Error">Why it failed, with what was cleaned up; null on success.</param>
/// <param name="LockRetries">Times the build was tried again after lock_timeout.</param>
public sealed record IndexApplyResult(string Name, string Table, IndexActionKind Action, IndexApplyOutcome Outcome, TimeSpan Elapsed, long SizeBytes, string? Error, int LockRetries);
