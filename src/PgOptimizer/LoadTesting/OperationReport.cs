using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>Figures of one operation in a run.</summary>
public sealed record OperationReport(string Name, Connections.DbIntent Intent, long Calls, long Errors, long Rows, LatencySummary Latency)
{
    /// <summary>The first failure's type and message (null when none failed): what to look at first.</summary>
    public string? FirstError { get; init; }
}
