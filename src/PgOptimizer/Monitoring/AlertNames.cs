namespace PgOptimizer.Monitoring;

/// <summary>Names of the built-in alerts.</summary>
public static class AlertNames
{
    public const string AvgQueryTime = "avg_query_time";
    public const string ConnectionUsage = "connection_usage";
    public const string ErrorRate = "error_rate";
    public const string CacheHitRate = "cache_hit_rate";
    public const string SlowQueryCount = "slow_query_count";
    public const string ServerConnectionUsage = "server_connection_usage";
    public const string TransactionAge = "transaction_age";
    public const string BlockedSessions = "blocked_sessions";
    public const string Deadlocks = "deadlocks";
    public const string DeadTupleRatio = "dead_tuple_ratio";
    public const string ReplicationLag = "replication_lag";
    public const string Wraparound = "wraparound";

    /// <summary>The specification's thresholds plus the usual PostgreSQL alert rules.</summary>
    public static Dictionary<string, AlertThreshold> Defaults() => new(StringComparer.Ordinal)
    {
        [AvgQueryTime] = new() { Warning = 100, Critical = 500, Unit = "ms" },
        [ConnectionUsage] = new() { Warning = 70, Critical = 90, Unit = "%" },
        [ErrorRate] = new() { Warning = 5, Critical = 10, Unit = "%" },
        [CacheHitRate] = new() { Warning = 80, Critical = 60, LowerIsWorse = true, Unit = "%", For = TimeSpan.FromMinutes(5) },
        [SlowQueryCount] = new() { Warning = 10, Critical = 50, Unit = "/min" },
        [ServerConnectionUsage] = new() { Warning = 80, Critical = 95, Unit = "%" },
        [TransactionAge] = new() { Warning = 120, Critical = 600, Unit = "s", For = TimeSpan.Zero },
        [BlockedSessions] = new() { Warning = 1, Critical = 10, Unit = "sessions" },
        [Deadlocks] = new() { Warning = 1, Critical = 10, Unit = "/interval", For = TimeSpan.Zero, Hysteresis = 0 },
        [DeadTupleRatio] = new() { Warning = 20, Critical = 50, Unit = "%", For = TimeSpan.Zero },
        [ReplicationLag] = new() { Warning = 30, Critical = 300, Unit = "s" },
        [Wraparound] = new() { Warning = 500_000_000, Critical = 1_500_000_000, Unit = "xids", For = TimeSpan.Zero, Hysteresis = 0.01 },
    };
}
