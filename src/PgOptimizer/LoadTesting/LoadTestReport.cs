using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>A load test's result: the run, the database's peak connections and the check of the writes.</summary>
public sealed record LoadTestReport(
    string Mode,
    WorkloadReport Run,
    double? IntendedRate,
    LatencySummary? ServiceTime,
    long Delayed,
    int PeakDatabaseConnections,
    long RowsWritten,
    long DatabaseRowsChanged,
    bool WritesVerified)
{
    /// <summary>The most connections seen executing a statement or inside a transaction at once (not idle in a pool).</summary>
    public int PeakBusyDatabaseConnections { get; init; }

    /// <summary>Tables left out of the write check (written by INSERT ... ON CONFLICT, whose lost races the statistics count).</summary>
    public IReadOnlyList<string> UncheckedTables { get; init; } = [];

    /// <summary>Share of requests that succeeded.</summary>
    public double SuccessRate => Run.Calls + Run.Errors == 0 ? 0 : (double)Run.Calls / (Run.Calls + Run.Errors);
}
