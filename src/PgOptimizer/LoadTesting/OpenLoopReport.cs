using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// An open-loop run: latency from each request's intended start (in <see cref="Report"/>), service
/// time from its actual start, the rate asked for and achieved, requests that had to wait for a
/// free slot, and rows written per write operation including the warm-up (for checking against the database).
/// </summary>
public sealed record OpenLoopReport(WorkloadReport Report, double IntendedRate, double AchievedRate, LatencySummary ServiceTime, long Delayed, IReadOnlyDictionary<string, long> RowsWrittenIncludingWarmup);
