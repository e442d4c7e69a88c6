namespace PgOptimizer.Monitoring;

/// <summary>The defaults of <see cref="MonitoringOptions"/>, in one place.</summary>
public static class MonitoringDefaults
{
    /// <summary>Time between polls and alert evaluations: 15 s.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    /// <summary>Statements kept per interval in the top list: 10.</summary>
    public const int TopStatements = 10;

    /// <summary>Tables reported for dead tuples: 10.</summary>
    public const int TopTables = 10;

    /// <summary>Distinct normalized statements tracked: 300.</summary>
    public const int MaxTrackedStatements = 300;

    /// <summary>Commands at least this slow are slow queries: 100 ms.</summary>
    public static readonly TimeSpan SlowQueryThreshold = TimeSpan.FromMilliseconds(100);

    /// <summary>Slow queries kept in memory: 200.</summary>
    public const int SlowQueryCapacity = 200;

    /// <summary>Entries kept in the shared Redis stream of slow queries: 10,000.</summary>
    public const int SlowQueryStreamLength = 10_000;

    /// <summary>Prefix of every Redis key monitoring writes: "pgopt:{application}:".</summary>
    public static string RedisKeyPrefix(string application) => Connections.RedisOptions.KeyPrefix(application, null);

    /// <summary>A published snapshot lives this many intervals in Redis: 3.</summary>
    public const int InstanceTtlIntervals = 3;

    /// <summary>A published snapshot lives at least this long in Redis: 10 s.</summary>
    public static readonly TimeSpan MinInstanceTtl = TimeSpan.FromSeconds(10);
}
