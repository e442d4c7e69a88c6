namespace PgOptimizer.Monitoring;

/// <summary>Names of the built-in alerts.</summary>
public static class AlertNames
{
    /// <summary>Mean client-side query time, ms (100 / 500).</summary>
    public const string AvgQueryTime = "avg_query_time";

    /// <summary>Busy connections as a share of the pool, % (70 / 90).</summary>
    public const string ConnectionUsage = "connection_usage";

    /// <summary>Failed commands, % of commands (5 / 10).</summary>
    public const string ErrorRate = "error_rate";

    /// <summary>Application cache hit rate, % (below 80 / 60, for 5 min).</summary>
    public const string CacheHitRate = "cache_hit_rate";

    /// <summary>Slow queries per minute (10 / 50).</summary>
    public const string SlowQueryCount = "slow_query_count";

    /// <summary>Server connections as a share of max_connections, % (80 / 95).</summary>
    public const string ServerConnectionUsage = "server_connection_usage";

    /// <summary>Longest open transaction, s (120 / 600).</summary>
    public const string TransactionAge = "transaction_age";

    /// <summary>Sessions waiting for a lock held by another (1 / 10).</summary>
    public const string BlockedSessions = "blocked_sessions";

    /// <summary>Deadlocks in the interval (1 / 10).</summary>
    public const string Deadlocks = "deadlocks";

    /// <summary>Dead tuples of the worst table, % (20 / 50).</summary>
    public const string DeadTupleRatio = "dead_tuple_ratio";

    /// <summary>Replay lag of the worst standby, s (30 / 300).</summary>
    public const string ReplicationLag = "replication_lag";

    /// <summary>Transaction id age of the oldest database (500 M / 1.5 G).</summary>
    public const string Wraparound = "wraparound";

    /// <summary>Replicas out of rotation (lagging, unreachable, circuit open), % of those configured (50 / 100: all reads on the primary).</summary>
    public const string ReplicasOutOfRotation = "replicas_out_of_rotation";

    /// <summary>The Neon bill's forecast for the period as a share of the monthly budget, % (80 / 100); needs the cost optimizer with a budget.</summary>
    public const string NeonBudget = "neon_budget";

    /// <summary>A new dictionary of the built-in alerts with their warning and critical thresholds.</summary>
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
        [ReplicasOutOfRotation] = new() { Warning = 50, Critical = 100, Unit = "%", For = TimeSpan.Zero, Hysteresis = 0 },
        [NeonBudget] = new() { Warning = 80, Critical = 100, Unit = "%", For = TimeSpan.Zero, Hysteresis = 0 },
        [Wraparound] = new() { Warning = 500_000_000, Critical = 1_500_000_000, Unit = "xids", For = TimeSpan.Zero, Hysteresis = 0.01 },
    };
}
