using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>Settings of index plan / apply.</summary>
public sealed class IndexingOptions
{
    /// <summary>lock_timeout for each CREATE/DROP INDEX CONCURRENTLY. Default 5 s.</summary>
    [DurationRange("00:00:00.001", "01:00:00")]
    public TimeSpan LockTimeout { get; set; } = IndexingDefaults.LockTimeout;

    /// <summary>How often a build that hit lock_timeout is tried again. Default 5.</summary>
    [Range(0, 100)]
    public int LockRetries { get; set; } = IndexingDefaults.LockRetries;

    /// <summary>How often build progress is read from pg_stat_progress_create_index. Default 500 ms.</summary>
    [DurationRange("00:00:00.050", "00:10:00")]
    public TimeSpan ProgressInterval { get; set; } = IndexingDefaults.ProgressInterval;

    /// <summary>Wait for another apply on the same database (true) or fail at once (false). Default true.</summary>
    public bool WaitForOtherApply { get; set; } = true;

    /// <summary>An unused index is a warning only when statistics cover at least this long (a fresh index or reset is no evidence). Default 1 day.</summary>
    [DurationRange("00:00:00")]
    public TimeSpan UnusedMinStatsAge { get; set; } = IndexingDefaults.UnusedMinStatsAge;

    /// <summary>Unused indexes smaller than this are not reported. Default 1 MiB.</summary>
    [Range(0, long.MaxValue)]
    public long UnusedMinBytes { get; set; } = IndexingDefaults.UnusedMinBytes;

    /// <summary>Tables smaller than this do not count for sequential-scan findings and coverage. Default 8 MiB.</summary>
    [Range(0, long.MaxValue)]
    public long SeqScanMinTableBytes { get; set; } = IndexingDefaults.SeqScanMinTableBytes;

    /// <summary>Statements (top by total time) examined for coverage and by the advisor. Default 50.</summary>
    [Range(1, 10_000)]
    public int WorkloadTop { get; set; } = IndexingDefaults.WorkloadTop;

    /// <summary>Statements with fewer calls are ignored. Default 2.</summary>
    [Range(1, long.MaxValue)]
    public long WorkloadMinCalls { get; set; } = IndexingDefaults.WorkloadMinCalls;

    /// <summary>Statements with less total time are ignored. Default 0 ms.</summary>
    [Range(0.0, double.MaxValue)]
    public double WorkloadMinTotalMs { get; set; }

    /// <summary>The statements of pg_stat_statements these options select: planable ones only.</summary>
    internal StatementSelection WorkloadSelection => new() { Top = WorkloadTop, MinCalls = WorkloadMinCalls, MinTotalMs = WorkloadMinTotalMs, PlannableOnly = true };

    /// <summary>Coverage (by time) below which health is a warning. Default 0.9.</summary>
    [Range(0.0, 1.0)]
    public double CoverageWarning { get; set; } = IndexingDefaults.CoverageWarning;

    /// <summary>
    /// Share of a table's pages marked all-visible below which the index-only scans the workload
    /// plans on it are reported (the rest of their rows are fetched from the table). Default 0.5.
    /// </summary>
    [Range(0.0, 1.0)]
    public double AllVisibleWarning { get; set; } = IndexingDefaults.AllVisibleWarning;

    /// <summary>
    /// Updates a table must have had (since the statistics were reset) before its share of HOT
    /// updates is judged. Default 1 000.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long HotMinUpdates { get; set; } = IndexingDefaults.HotMinUpdates;

    /// <summary>
    /// Share of a table's updates that were HOT (heap-only: no index touched) below which they are
    /// reported, with the indexed columns the workload's UPDATE statements set. Default 0.5.
    /// </summary>
    [Range(0.0, 1.0)]
    public double HotUpdateWarning { get; set; } = IndexingDefaults.HotUpdateWarning;
}

/// <summary>Checks <see cref="IndexingOptions"/> (generated from its attributes).</summary>
[OptionsValidator]
internal sealed partial class IndexingOptionsValidator : IValidateOptions<IndexingOptions>;
