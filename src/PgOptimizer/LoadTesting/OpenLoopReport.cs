using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// An open-loop run: latency from each request's intended start (in <see cref="Report"/>), service
/// time from its actual start, the rate asked for and achieved, requests that had to wait for a
/// free slot, and rows written per write operation including the warm-up (for checking against the database).
/// </summary>
public sealed record OpenLoopReport(WorkloadReport Report, double IntendedRate, double AchievedRate, LatencySummary ServiceTime, long Delayed, IReadOnlyDictionary<string, long> RowsWrittenIncludingWarmup)
{
    /// <summary>How late the generator itself reached each measured request, not counting time it waited for a free slot (the system under test).</summary>
    public LatencySummary GeneratorLag { get; init; } = LatencySummary.Empty;

    /// <summary>
    /// From the generator's hand-off of each measured request to its first step on the thread pool:
    /// the wait in the client's own queue, behind the continuations of the requests in flight.
    /// </summary>
    public LatencySummary StartDelay { get; init; } = LatencySummary.Empty;

    /// <summary>
    /// True when the generator was late enough to matter: its p99 lag over 2 ms (it sleeps a
    /// millisecond at least) and over a tenth of the service time's p99. The latencies then include
    /// the generator's own delay.
    /// </summary>
    public bool GeneratorFellBehind => GeneratorLag.P99Ms > Math.Max(2.0, ServiceTime.P99Ms / 10);
}
