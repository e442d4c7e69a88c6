using System.ComponentModel.DataAnnotations;

namespace PgOptimizer.Monitoring;

/// <summary>Settings of server-side collection.</summary>
public sealed class MonitoringOptions
{
    /// <summary>Time between polls. Default 15 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Statements kept per interval in the top list. Default 10.</summary>
    [Range(1, 1000)]
    public int TopStatements { get; set; } = 10;

    /// <summary>Tables reported for dead tuples. Default 10.</summary>
    [Range(1, 1000)]
    public int TopTables { get; set; } = 10;

    /// <summary>
    /// Never poll a compute the application is not using: on Neon every poll keeps a compute awake
    /// (and billed). When true, a scheduled poll is skipped unless the connection manager ran an
    /// operation since the last one. Default: on for Neon hosts, off elsewhere.
    /// </summary>
    public bool? PollOnlyWhenActive { get; set; }
}
