namespace PgOptimizer.Indexing;

/// <summary>What an apply did (or, with <paramref name="DryRun"/>, would do).</summary>
/// <param name="DryRun">True when nothing was executed.</param>
/// <param name="Plan">The plan that was applied.</param>
/// <param name="Results">One result per action, in the order run.</param>
/// <param name="Elapsed">Time of the whole apply.</param>
/// <param name="WaitedForLock">Time spent waiting for another apply on the same database.</param>
public sealed record IndexApplyReport(bool DryRun, IndexPlan Plan, IReadOnlyList<IndexApplyResult> Results, TimeSpan Elapsed, TimeSpan WaitedForLock)
{
    /// <summary>
    /// Tables analyzed after the builds because they gained an expression index: the planner has
    /// statistics for an index expression only after ANALYZE, and guesses its selectivity until then.
    /// </summary>
    public IReadOnlyList<string> Analyzed { get; init; } = [];

    /// <summary>True when no action failed.</summary>
    public bool Succeeded => Results.All(r => r.Outcome != IndexApplyOutcome.Failed);
}
