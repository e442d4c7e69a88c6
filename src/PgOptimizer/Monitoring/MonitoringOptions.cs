using System.ComponentModel.DataAnnotations;

namespace PgOptimizer.Monitoring;

/// <summary>Settings of monitoring: server polling, client-side query tracking, alerts, Redis sharing.</summary>
public sealed class MonitoringOptions
{
    /// <summary>Time between polls and alert evaluations. Default 15 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Statements kept per interval in the top list (and exported per statement). Default 10.</summary>
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

    /// <summary>Time every command the application runs through Npgsql. Default true.</summary>
    public bool TrackQueries { get; set; } = true;

    /// <summary>How commands are timed. Default <see cref="QueryTrackingMode.ConnectionManager"/>.</summary>
    public QueryTrackingMode TrackingMode { get; set; } = QueryTrackingMode.ConnectionManager;

    /// <summary>
    /// Also track commands of Npgsql data sources other than the connection manager's (reported
    /// under the endpoint "other"). Default false.
    /// </summary>
    public bool TrackAllDataSources { get; set; }

    /// <summary>Distinct normalized statements tracked; later ones are counted together. Default 300.</summary>
    [Range(10, 100_000)]
    public int MaxTrackedStatements { get; set; } = 300;

    /// <summary>Commands at least this slow are slow queries. Default 100 ms.</summary>
    public TimeSpan SlowQueryThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Slow queries kept in memory. Default 200.</summary>
    [Range(1, 100_000)]
    public int SlowQueryCapacity { get; set; } = 200;

    /// <summary>Entries kept (approximately) in the shared Redis stream of slow queries. Default 10,000.</summary>
    [Range(10, 10_000_000)]
    public int SlowQueryStreamLength { get; set; } = 10_000;

    /// <summary>This instance's name in Redis. Default: machine, process id and a random suffix.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Prefix of every Redis key monitoring writes. Default "pgopt:".</summary>
    public string RedisKeyPrefix { get; set; } = "pgopt:";

    /// <summary>
    /// How long a published snapshot lives in Redis; an instance that stops publishing drops out of
    /// the aggregate after it. Default: three intervals, at least 10 s.
    /// </summary>
    public TimeSpan? InstanceTtl { get; set; }

    internal TimeSpan EffectiveInstanceTtl => InstanceTtl ?? TimeSpan.FromTicks(Math.Max(Interval.Ticks * 3, TimeSpan.FromSeconds(10).Ticks));

    /// <summary>Alert thresholds by name; the defaults are the specification's plus standard PostgreSQL rules.</summary>
    public Dictionary<string, AlertThreshold> Alerts { get; set; } = AlertNames.Defaults();

    /// <summary>When set, every alert state change is POSTed here as JSON.</summary>
    public Uri? AlertWebhookUrl { get; set; }

    internal void Validate()
    {
        if (Interval <= TimeSpan.Zero)
        {
            throw new PgOptimizerConfigurationException($"Monitoring Interval must be positive (got {Interval}).");
        }

        if (SlowQueryThreshold <= TimeSpan.Zero)
        {
            throw new PgOptimizerConfigurationException($"SlowQueryThreshold must be positive (got {SlowQueryThreshold}); e.g. 100 ms.");
        }

        if (string.IsNullOrWhiteSpace(InstanceId))
        {
            throw new PgOptimizerConfigurationException("Monitoring InstanceId must not be empty.");
        }

        if (InstanceTtl is { } ttl && ttl < TimeSpan.FromSeconds(1))
        {
            throw new PgOptimizerConfigurationException($"InstanceTtl must be at least 1 s (got {ttl}).");
        }

        if (AlertWebhookUrl is { } url && url.Scheme is not ("http" or "https"))
        {
            throw new PgOptimizerConfigurationException("AlertWebhookUrl must be an http(s) URL.");
        }

        foreach (var (name, threshold) in Alerts)
        {
            threshold.Validate(name);
        }
    }
}

/// <summary>How client-side query tracking times commands.</summary>
public enum QueryTrackingMode
{
    /// <summary>
    /// The connection manager times the commands on the connections it hands out (cheapest); Npgsql's
    /// activities only for other connections of its data sources.
    /// </summary>
    ConnectionManager,

    /// <summary>Every command through Npgsql's command activities (what OpenTelemetry sees; costs more).</summary>
    NpgsqlActivities,
}
