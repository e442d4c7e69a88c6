namespace PgOptimizer.Indexing;

/// <summary>The defaults of <see cref="IndexingOptions"/> and index builds, in one place.</summary>
public static class IndexingDefaults
{
    /// <summary>lock_timeout of each CREATE/DROP INDEX CONCURRENTLY: 5 s.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Tries again after lock_timeout: 5.</summary>
    public const int LockRetries = 5;

    /// <summary>How often build progress is read: 500 ms.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Statistics age below which an unused index is no evidence: 1 day.</summary>
    public static readonly TimeSpan UnusedMinStatsAge = TimeSpan.FromDays(1);

    /// <summary>Unused indexes smaller than this are not reported: 1 MiB.</summary>
    public const long UnusedMinBytes = 1L << 20;

    /// <summary>Tables smaller than this do not count for sequential scans and coverage: 8 MiB.</summary>
    public const long SeqScanMinTableBytes = 8L << 20;

    /// <summary>Statements examined for coverage and advice, top by total time: 50.</summary>
    public const int WorkloadTop = 50;

    /// <summary>Statements with fewer calls are ignored: 2.</summary>
    public const long WorkloadMinCalls = 2;

    /// <summary>Coverage by time below which index health is a warning: 0.9.</summary>
    public const double CoverageWarning = 0.9;

    /// <summary>All-visible share of a table's pages below which its planned index-only scans are reported: 0.5.</summary>
    public const double AllVisibleWarning = 0.5;

    /// <summary>Updates of a table since the statistics were reset below which its HOT share is not judged: 1 000.</summary>
    public const long HotMinUpdates = 1_000;

    /// <summary>Share of a table's updates that were HOT below which they are reported: 0.5.</summary>
    public const double HotUpdateWarning = 0.5;

    /// <summary>Advisory lock class (first int4) that serializes applies on one database: "pgop".</summary>
    public const int AdvisoryLockClass = 0x70676F70;

    /// <summary>Advisory lock object (second int4): 1.</summary>
    public const int AdvisoryLockObject = 1;
}
