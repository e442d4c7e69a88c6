using PgOptimizer.Workload;

namespace PgOptimizer.Monitoring;

/// <summary>Cumulative counters of pg_stat_database for the current database.</summary>
public sealed record DatabaseCounters(long Commits, long Rollbacks, long BlocksHit, long BlocksRead, long Deadlocks, long TempFiles, long TempBytes, long RowsReturned, long RowsFetched, long RowsInserted, long RowsUpdated, long RowsDeleted, DateTimeOffset? StatsReset);

/// <summary>Connections right now (pg_stat_activity), for this database and the whole server.</summary>
public sealed record ConnectionFigures(int Total, int Active, int Idle, int IdleInTransaction, int Waiting, int Blocked, int MaxConnections, double? LongestTransactionSeconds, double? LongestQuerySeconds)
{
    /// <summary>Share of max_connections in use (0–1).</summary>
    public double Usage => MaxConnections == 0 ? 0 : (double)Total / MaxConnections;
}

/// <summary>One standby as the primary sees it.</summary>
public sealed record ReplicaLag(string Name, string? ClientAddress, string State, long LagBytes, double? ReplayLagSeconds);

/// <summary>A table's dead tuples and vacuum state.</summary>
public sealed record TableVacuum(string Table, long LiveTuples, long DeadTuples, double DeadRatio, double? SecondsSinceVacuum);

/// <summary>Everything one poll of the server saw.</summary>
public sealed record ServerSnapshot(
    DateTimeOffset At,
    DatabaseCounters Database,
    ConnectionFigures Connections,
    IReadOnlyList<ReplicaLag> Replicas,
    IReadOnlyList<TableVacuum> Tables,
    IReadOnlyList<StatementStatistics> Statements,
    long WraparoundAge,
    long DatabaseBytes,
    double? NeonFileCacheHitRatio);

/// <summary>A statement's share of an interval.</summary>
public sealed record StatementInterval(long QueryId, string Query, long Calls, double TotalMs, double MeanMs, long Rows);

/// <summary>What changed between two snapshots, as rates and deltas (never "since stats reset").</summary>
public sealed record ServerInterval(
    DateTimeOffset From,
    DateTimeOffset To,
    double Seconds,
    double CommitsPerSecond,
    double RollbacksPerSecond,
    double? CacheHitRatio,
    long Deadlocks,
    double TempBytesPerSecond,
    double RowsWrittenPerSecond,
    IReadOnlyList<StatementInterval> TopStatements,
    ServerSnapshot Current,
    bool CountersReset);
