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

    /// <summary>
    /// Rows of writes that failed but may have committed (the connection was lost after the server
    /// committed): the write check passes when the database counted between
    /// <see cref="RowsWritten"/> and that many more. Zero when no write failed.
    /// </summary>
    public long WritesInDoubt { get; init; }

    /// <summary>Tables left out of the write check (written by INSERT ... ON CONFLICT, whose lost races the statistics count).</summary>
    public IReadOnlyList<string> UncheckedTables { get; init; } = [];

    /// <summary>
    /// The warm-up actually run before the measured interval: the one asked for, extended a second
    /// at a time (up to 20 s, and four times the warm-up asked for) while the JIT was still compiling, so that the run measures the steady state.
    /// </summary>
    public TimeSpan WarmedUpFor { get; init; }

    /// <summary>Open loop: how late the load generator itself reached the requests; null in a closed loop.</summary>
    public LatencySummary? GeneratorLag { get; init; }

    /// <summary>Open loop: from the generator's hand-off of each request to its first step on the thread pool (the client's own queue).</summary>
    public LatencySummary? StartDelay { get; init; }

    /// <summary>Open loop: the generator fell behind its schedule (see <see cref="OpenLoopReport.GeneratorFellBehind"/>).</summary>
    public bool GeneratorFellBehind { get; init; }

    /// <summary>CPU used over the measured interval by the client, the PostgreSQL servers and Redis; null when not measured.</summary>
    public CpuUsage? Cpu { get; init; }

    /// <summary>
    /// Open loop: one of the client's own garbage-collection pauses in the measured interval was
    /// longer than the service time's p99. Every thread stops during a pause, the generator's
    /// included, so the requests due meanwhile start late: the tail from intended start is then the
    /// collector's as much as the database's (docs/benchmarks.md, "Fewer live objects per cached
    /// value, and the collector's budget"). False in a closed loop and when not measured.
    /// </summary>
    public bool CollectorPausesSetTheTail =>
        GeneratorLag is not null && ServiceTime is { } service && Cpu?.ClientGcLongestPauseMs is { } longest && longest > service.P99Ms;

    /// <summary>Share of requests that succeeded.</summary>
    public double SuccessRate => Run.Calls + Run.Errors == 0 ? 0 : (double)Run.Calls / (Run.Calls + Run.Errors);
}
