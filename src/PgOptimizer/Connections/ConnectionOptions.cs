using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Connections;

/// <summary>Settings of the connection manager: endpoints, retry, circuit breaker and timeouts.</summary>
public sealed class ConnectionOptions : IValidatableObject
{
    /// <summary>The primary (read-write) endpoint: a postgresql:// URI or a Key=Value string. Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Read replicas, each a URI or Key=Value string (the short form of <see cref="Replicas"/>; a URI
    /// may carry attributes after #, see <see cref="ReplicaOptions.Parse"/>). Reads go to them when present.
    /// </summary>
    public IList<string> ReplicaConnectionStrings { get; } = [];

    /// <summary>Read replicas with a name, weight, region and the query types they serve. Default none.</summary>
    [ValidateEnumeratedItems]
    public IList<ReplicaOptions> Replicas { get; } = [];

    /// <summary>How often the primary is probed in the background for readiness checks (which only read the result). Default 5 s.</summary>
    [DurationRange("00:00:00.050", "00:10:00")]
    public TimeSpan HealthProbeInterval { get; set; } = ConnectionDefaults.HealthProbeInterval;

    /// <summary>How long a readiness probe waits for a pooled connection and the answer. Default 2 s.</summary>
    [DurationRange("00:00:00.010", "00:01:00")]
    public TimeSpan HealthProbeTimeout { get; set; } = ConnectionDefaults.HealthProbeTimeout;

    /// <summary>How often each replica's lag (seconds and bytes behind) is measured. Default 1 s.</summary>
    [DurationRange("00:00:00.050", "01:00:00")]
    public TimeSpan LagProbeInterval { get; set; } = ConnectionDefaults.LagProbeInterval;

    /// <summary>Time constant of the latency averages per endpoint (the weight of a sample halves in about 0.7 of it). Default 5 s.</summary>
    [DurationRange("00:00:00.100", "01:00:00")]
    public TimeSpan LatencyDecay { get; set; } = ConnectionDefaults.LatencyDecay;

    /// <summary>How long a session's read-your-writes position is kept after its latest write. Default 60 s.</summary>
    [DurationRange("00:00:01", "1.00:00:00")]
    public TimeSpan ReadYourWritesTtl { get; set; } = ConnectionDefaults.ReadYourWritesTtl;

    /// <summary>
    /// Prefix of the Redis keys that share read-your-writes positions across instances. Default
    /// "pgopt:{application}:session:" (<see cref="RedisOptions.ApplicationName"/>), so applications
    /// sharing one Redis never meet.
    /// </summary>
    [MinLength(1)]
    public string? SessionKeyPrefix { get; set; }

    /// <summary>Every replica, the short form first, with its name.</summary>
    internal IReadOnlyList<ReplicaOptions> AllReplicas() =>
        ReplicaConnectionStrings.Select(ReplicaOptions.Parse).Concat(Replicas)
            .Select((r, i) => r.Name is { Length: > 0 } ? r : new ReplicaOptions { ConnectionString = r.ConnectionString, Name = $"replica{i + 1}", Weight = r.Weight, Region = r.Region, QueryTypes = r.QueryTypes, StatementTimeout = r.StatementTimeout })
            .ToList();

    /// <summary>Retries after the first attempt for transient failures. Default 3.</summary>
    [Range(0, 20)]
    public int MaxRetryAttempts { get; set; } = ConnectionDefaults.MaxRetryAttempts;

    /// <summary>Base delay of the exponential backoff (with jitter). Default 50 ms.</summary>
    [DurationRange("00:00:00.001")]
    public TimeSpan RetryBaseDelay { get; set; } = ConnectionDefaults.RetryBaseDelay;

    /// <summary>Upper bound of one backoff delay. Default 2 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = ConnectionDefaults.RetryMaxDelay;

    /// <summary>
    /// Timeout of one statement in an attempt, applied as Npgsql's Command Timeout when the
    /// connection string sets none (the server cancels the statement), in whole seconds. Default 30 s.
    /// </summary>
    [DurationRange("00:00:01")]
    public TimeSpan AttemptTimeout { get; set; } = ConnectionDefaults.AttemptTimeout;

    /// <summary>
    /// Budget of the whole operation: no new attempt starts after it (a running attempt is bounded by
    /// the connect and command timeouts). Default 90 s. Pass a CancellationToken for a hard deadline.
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = ConnectionDefaults.TotalTimeout;

    /// <summary>Failure ratio in the sampling window that opens an endpoint's circuit. Default 0.5.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = ConnectionDefaults.BreakerFailureRatio;

    /// <summary>Calls in the sampling window before the breaker may open. Default 10.</summary>
    [Range(2, int.MaxValue)]
    public int BreakerMinimumThroughput { get; set; } = ConnectionDefaults.BreakerMinimumThroughput;

    /// <summary>Sampling window of the breaker. Default 10 s.</summary>
    [DurationRange("00:00:00.5")]
    public TimeSpan BreakerSamplingDuration { get; set; } = ConnectionDefaults.BreakerSamplingDuration;

    /// <summary>How long an open circuit rejects calls before one trial call. Default 5 s.</summary>
    [DurationRange("00:00:00.5")]
    public TimeSpan BreakerBreakDuration { get; set; } = ConnectionDefaults.BreakerBreakDuration;

    /// <summary>Maximum pool size per endpoint when the connection string sets none. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxPoolSize { get; set; } = ConnectionDefaults.MaxPoolSize;

    /// <summary>
    /// Npgsql automatic preparation when the connection string sets none. Default 64; forced to 0
    /// on PgBouncer transaction-mode poolers (Neon's -pooler hosts), where it is not safe.
    /// </summary>
    [Range(0, 10_000)]
    public int MaxAutoPrepare { get; set; } = ConnectionDefaults.MaxAutoPrepare;

    /// <summary>
    /// When a connection the manager handed out is reset before it goes back to the pool. Default
    /// <see cref="SessionResetMode.WhenChanged"/>: only after a call that may have changed its session,
    /// which spares the server Npgsql's reset statements (seven of them, run before the next command on
    /// the connection) on every other call. The endpoints' <see cref="PgEndpoint.DataSource"/>, for
    /// work outside the manager's calls, always resets. A "No Reset On Close" in the connection string
    /// is honoured as given.
    /// </summary>
    public SessionResetMode SessionReset { get; set; } = SessionResetMode.WhenChanged;

    /// <summary>application_name reported to the server when the connection string sets none. Default "pgoptimizer".</summary>
    public string ApplicationName { get; set; } = ConnectionDefaults.ApplicationName;

    /// <summary>Rules between options, run by the generated validator after the attributes.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "No database connection is configured. Set PgOptimizer:Connections:ConnectionString (appsettings.json) or PGOPT_CONNECTION / NEON_DATABASE_URL to a postgresql:// URI or a Key=Value string.",
                [nameof(ConnectionString)]);
        }

        if (RetryMaxDelay < RetryBaseDelay)
        {
            yield return new ValidationResult($"RetryMaxDelay ({RetryMaxDelay}) must be at least RetryBaseDelay ({RetryBaseDelay}).", [nameof(RetryMaxDelay)]);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var replica in AllReplicas())
        {
            if (!names.Add(replica.Name!))
            {
                yield return new ValidationResult($"Replica name '{replica.Name}' is used twice; give each replica its own name.", [nameof(Replicas)]);
            }
        }

        if (TotalTimeout < AttemptTimeout)
        {
            yield return new ValidationResult($"TotalTimeout ({TotalTimeout}) must be at least AttemptTimeout ({AttemptTimeout}).", [nameof(TotalTimeout)]);
        }
    }

    internal void Validate() => new ConnectionOptionsValidator().ThrowIfInvalid(this, "Connection");
}

/// <summary>Checks <see cref="ConnectionOptions"/> (generated from its attributes and rules).</summary>
[OptionsValidator]
internal sealed partial class ConnectionOptionsValidator : IValidateOptions<ConnectionOptions>;
