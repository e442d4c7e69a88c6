using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

public sealed record IndexApplyReport(bool DryRun, IndexPlan Plan, IReadOnlyList<IndexApplyResult> Results, TimeSpan Elapsed, TimeSpan WaitedForLock)
{
    /// <summary>
    /// Tables analyzed after the builds because they gained an expression index: the planner has
    /// statistics for an index expression only after ANALYZE, and guesses its selectivity until then.
    /// </summary>
    public IReadOnlyList<string> Analyzed { get; init; } = [];

    public bool Succeeded => Results.All(r => r.Outcome != IndexApplyOutcome.Failed);
}
