using System.ComponentModel.DataAnnotations;

namespace PgOptimizer.Connections;

/// <summary>Defaults of the connection manager, in one place.</summary>
public static class ConnectionDefaults
{
    public const int MaxRetryAttempts = 3;
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromSeconds(90);
    public const double BreakerFailureRatio = 0.5;
    public const int BreakerMinimumThroughput = 10;
    public static readonly TimeSpan BreakerSamplingDuration = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan BreakerBreakDuration = TimeSpan.FromSeconds(5);
    public const int MaxPoolSize = 100;
    public const int MaxAutoPrepare = 64;
    public const int NeonConnectTimeoutSeconds = 30;
    public const string ApplicationName = "pgoptimizer";
}

/// <summary>Settings of the connection manager: endpoints, retry, circuit breaker and timeouts.</summary>
public sealed class ConnectionOptions
{
    /// <summary>The primary (read-write) endpoint: a postgresql:// URI or a Key=Value string. Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Read replicas, each a URI or Key=Value string. Reads go to them when present.</summary>
    public IList<string> ReplicaConnectionStrings { get; } = [];

    /// <summary>Retries after the first attempt for transient failures. Default 3.</summary>
    [Range(0, 20)]
    public int MaxRetryAttempts { get; set; } = ConnectionDefaults.MaxRetryAttempts;

    /// <summary>Base delay of the exponential backoff (with jitter). Default 50 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = ConnectionDefaults.RetryBaseDelay;

    /// <summary>Upper bound of one backoff delay. Default 2 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = ConnectionDefaults.RetryMaxDelay;

    /// <summary>
    /// Timeout of one statement in an attempt, applied as Npgsql's Command Timeout when the
    /// connection string sets none (the server cancels the statement). Default 30 s.
    /// </summary>
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
    public TimeSpan BreakerSamplingDuration { get; set; } = ConnectionDefaults.BreakerSamplingDuration;

    /// <summary>How long an open circuit rejects calls before one trial call. Default 5 s.</summary>
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

    /// <summary>application_name reported to the server when the connection string sets none.</summary>
    public string ApplicationName { get; set; } = ConnectionDefaults.ApplicationName;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new PgOptimizerConfigurationException(
                "No database connection is configured. Pass --connection, or set PGOPT_CONNECTION (or NEON_DATABASE_URL) to a postgresql:// URI, or PgOptimizer:Connections:ConnectionString in appsettings.json.");
        }

        Check(RetryBaseDelay > TimeSpan.Zero, "RetryBaseDelay must be positive");
        Check(RetryMaxDelay >= RetryBaseDelay, "RetryMaxDelay must be at least RetryBaseDelay");
        Check(AttemptTimeout >= TimeSpan.FromSeconds(1), "AttemptTimeout must be at least 1 s (it becomes Npgsql's Command Timeout, in whole seconds)");
        Check(TotalTimeout >= AttemptTimeout, "TotalTimeout must be at least AttemptTimeout");
        Check(BreakerSamplingDuration >= TimeSpan.FromMilliseconds(500), "BreakerSamplingDuration must be at least 500 ms");
        Check(BreakerBreakDuration >= TimeSpan.FromMilliseconds(500), "BreakerBreakDuration must be at least 500 ms");
        try
        {
            Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        }
        catch (ValidationException ex)
        {
            throw new PgOptimizerConfigurationException($"Connection options: {ex.Message}");
        }

        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new PgOptimizerConfigurationException($"Connection options: {message}.");
            }
        }
    }
}
