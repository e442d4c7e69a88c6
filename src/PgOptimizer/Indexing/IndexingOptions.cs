using System.ComponentModel.DataAnnotations;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>Defaults of index management, in one place.</summary>
public static class IndexingDefaults
{
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(5);
    public const int LockRetries = 5;
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Advisory lock key (two int4s) that serializes applies on one database.</summary>
    public const int AdvisoryLockClass = 0x70676F70; // "pgop"
    public const int AdvisoryLockObject = 1;
}

/// <summary>Settings of index plan / apply.</summary>
public sealed class IndexingOptions
{
    /// <summary>lock_timeout for each CREATE/DROP INDEX CONCURRENTLY. Default 5 s.</summary>
    public TimeSpan LockTimeout { get; set; } = IndexingDefaults.LockTimeout;

    /// <summary>How often a build that hit lock_timeout is tried again. Default 5.</summary>
    [Range(0, 100)]
    public int LockRetries { get; set; } = IndexingDefaults.LockRetries;

    /// <summary>How often build progress is read from pg_stat_progress_create_index. Default 500 ms.</summary>
    public TimeSpan ProgressInterval { get; set; } = IndexingDefaults.ProgressInterval;

    /// <summary>Wait for another apply on the same database (true) or fail at once (false). Default true.</summary>
    public bool WaitForOtherApply { get; set; } = true;

    /// <summary>An unused index is a warning only when statistics cover at least this long (a fresh index or reset is no evidence). Default 1 day.</summary>
    public TimeSpan UnusedMinStatsAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Unused indexes smaller than this are not reported. Default 1 MiB.</summary>
    public long UnusedMinBytes { get; set; } = 1L << 20;

    /// <summary>Tables smaller than this do not count for sequential-scan findings and coverage. Default 8 MiB.</summary>
    public long SeqScanMinTableBytes { get; set; } = 8L << 20;

    /// <summary>Statements (top by total time) examined for coverage and by the advisor. Default 50.</summary>
    [Range(1, 10_000)]
    public int WorkloadTop { get; set; } = 50;

    /// <summary>Statements with fewer calls are ignored. Default 2.</summary>
    public long WorkloadMinCalls { get; set; } = 2;

    /// <summary>Statements with less total time are ignored. Default 0 ms.</summary>
    public double WorkloadMinTotalMs { get; set; }

    /// <summary>The statements of pg_stat_statements these options select: planable ones only.</summary>
    internal StatementSelection WorkloadSelection => new() { Top = WorkloadTop, MinCalls = WorkloadMinCalls, MinTotalMs = WorkloadMinTotalMs, PlannableOnly = true };

    /// <summary>Coverage (by time) below which health is a warning. Default 0.9.</summary>
    [Range(0.0, 1.0)]
    public double CoverageWarning { get; set; } = 0.9;
}
