using System.ComponentModel.DataAnnotations;

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
}
