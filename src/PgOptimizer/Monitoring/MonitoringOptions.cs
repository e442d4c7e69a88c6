using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Monitoring;

/// <summary>Settings of monitoring: server polling, client-side query tracking, alerts, Redis sharing.</summary>
public sealed class MonitoringOptions : IValidatableObject
{
    /// <summary>Time between polls and alert evaluations. Default 15 s.</summary>
    [DurationRange("00:00:00.010")]
    public TimeSpan Interval { get; set; } = MonitoringDefaults.Interval;

    /// <summary>Statements kept per interval in the top list (and exported per statement). Default 10.</summary>
    [Range(1, 1000)]
    public int TopStatements { get; set; } = MonitoringDefaults.TopStatements;

    /// <summary>Tables reported for dead tuples. Default 10.</summary>
    [Range(1, 1000)]
    public int TopTables { get; set; } = MonitoringDefaults.TopTables;

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
    public int MaxTrackedStatements { get; set; } = MonitoringDefaults.MaxTrackedStatements;

    /// <summary>Commands at least this slow are slow queries. Default 100 ms.</summary>
    [DurationRange("00:00:00.000001")]
    public TimeSpan SlowQueryThreshold { get; set; } = MonitoringDefaults.SlowQueryThreshold;

    /// <summary>Slow queries kept in memory. Default 200.</summary>
    [Range(1, 100_000)]
    public int SlowQueryCapacity { get; set; } = MonitoringDefaults.SlowQueryCapacity;

    /// <summary>Entries kept (approximately) in the shared Redis stream of slow queries. Default 10,000.</summary>
    [Range(10, 10_000_000)]
    public int SlowQueryStreamLength { get; set; } = MonitoringDefaults.SlowQueryStreamLength;

    /// <summary>This instance's name in Redis. Default: machine, process id and a random suffix.</summary>
    [Required(AllowEmptyStrings = false)]
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>
    /// Prefix of every Redis key monitoring writes. Default "pgopt:{application}:"
    /// (<see cref="Connections.RedisOptions.ApplicationName"/>): instances of one application
    /// aggregate, applications sharing one Redis do not.
    /// </summary>
    [MinLength(1)]
    public string? RedisKeyPrefix { get; set; }

    /// <summary>
    /// How long a published snapshot lives in Redis; an instance that stops publishing drops out of
    /// the aggregate after it. Default: three intervals, at least 10 s.
    /// </summary>
    [DurationRange("00:00:01")]
    public TimeSpan? InstanceTtl { get; set; }

    internal TimeSpan EffectiveInstanceTtl => InstanceTtl ?? TimeSpan.FromTicks(Math.Max(Interval.Ticks * MonitoringDefaults.InstanceTtlIntervals, MonitoringDefaults.MinInstanceTtl.Ticks));

    /// <summary>Alert thresholds by name; the defaults are <see cref="AlertNames.Defaults"/>: application figures plus the usual PostgreSQL rules.</summary>
    public Dictionary<string, AlertThreshold> Alerts { get; set; } = AlertNames.Defaults();

    /// <summary>When set, every alert state change is POSTed here as JSON.</summary>
    public Uri? AlertWebhookUrl { get; set; }

    /// <summary>Rules beyond the attributes: the webhook's scheme and every alert's thresholds.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (AlertWebhookUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult("AlertWebhookUrl must be an absolute http(s) URL.", [nameof(AlertWebhookUrl)]);
        }

        var alerts = new AlertThresholdValidator();
        foreach (var failure in Alerts.SelectMany(a => alerts.Item("Alert", a.Key, a.Value)))
        {
            yield return failure;
        }
    }

    internal void Validate() => new MonitoringOptionsValidator().ThrowIfInvalid(this, "Monitoring");
}

/// <summary>Checks <see cref="MonitoringOptions"/> (generated from its attributes and rules).</summary>
[OptionsValidator]
internal sealed partial class MonitoringOptionsValidator : IValidateOptions<MonitoringOptions>;
