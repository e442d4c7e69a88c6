namespace PgOptimizer.Monitoring;

/// <summary>Cumulative counters of pg_stat_database for the current database.</summary>
public sealed record DatabaseCounters(long Commits, long Rollbacks, long BlocksHit, long BlocksRead, long Deadlocks, long TempFiles, long TempBytes, long RowsReturned, long RowsFetched, long RowsInserted, long RowsUpdated, long RowsDeleted, DateTimeOffset? StatsReset);
