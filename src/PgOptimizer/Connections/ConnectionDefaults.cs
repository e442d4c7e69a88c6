namespace PgOptimizer.Connections;

/// <summary>The defaults of <see cref="ConnectionOptions"/> and <see cref="RedisOptions"/>, in one place.</summary>
public static class ConnectionDefaults
{
    /// <summary>Retries after the first attempt: 3.</summary>
    public const int MaxRetryAttempts = 3;

    /// <summary>Base delay of the exponential backoff: 50 ms.</summary>
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest single backoff delay: 2 s.</summary>
    public static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>Timeout of one statement in an attempt: 30 s.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Budget of a whole operation, retries included: 90 s.</summary>
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Failure ratio that opens an endpoint's circuit: 0.5.</summary>
    public const double BreakerFailureRatio = 0.5;

    /// <summary>Calls in the sampling window before the breaker may open: 10.</summary>
    public const int BreakerMinimumThroughput = 10;

    /// <summary>Sampling window of the breaker: 10 s.</summary>
    public static readonly TimeSpan BreakerSamplingDuration = TimeSpan.FromSeconds(10);

    /// <summary>How long an open circuit rejects calls: 5 s.</summary>
    public static readonly TimeSpan BreakerBreakDuration = TimeSpan.FromSeconds(5);

    /// <summary>Pool size per endpoint when the connection string sets none: 100.</summary>
    public const int MaxPoolSize = 100;

    /// <summary>Npgsql automatic preparation when the connection string sets none: 64 statements.</summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>Connect timeout on Neon hosts when the connection string sets none (a suspended compute wakes first): 30 s.</summary>
    public const int NeonConnectTimeoutSeconds = 30;

    /// <summary>application_name when the connection string sets none: "pgoptimizer".</summary>
    public const string ApplicationName = "pgoptimizer";

    /// <summary>How often the primary is probed for readiness: 5 s.</summary>
    public static readonly TimeSpan HealthProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a readiness probe waits: 2 s.</summary>
    public static readonly TimeSpan HealthProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How often replica lag is measured: 1 s.</summary>
    public static readonly TimeSpan LagProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>Time constant of the per-endpoint latency averages: 5 s.</summary>
    public static readonly TimeSpan LatencyDecay = TimeSpan.FromSeconds(5);

    /// <summary>How long a session's read-your-writes position is kept: 60 s.</summary>
    public static readonly TimeSpan ReadYourWritesTtl = TimeSpan.FromSeconds(60);

    /// <summary>Prefix of the Redis keys of read-your-writes positions: "pgopt:{application}:session:".</summary>
    public static string SessionKeyPrefix(string application) => RedisOptions.KeyPrefix(application, "session");

    /// <summary>Redis connect and operation timeout: 2 s.</summary>
    public static readonly TimeSpan RedisTimeout = TimeSpan.FromSeconds(2);
}
