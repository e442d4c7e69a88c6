namespace PgOptimizer.Monitoring;

/// <summary>Connections right now (pg_stat_activity), for this database and the whole server.</summary>
public sealed record ConnectionFigures(int Total, int Active, int Idle, int IdleInTransaction, int Waiting, int Blocked, int MaxConnections, double? LongestTransactionSeconds, double? LongestQuerySeconds)
{
    /// <summary>Share of max_connections in use (0–1).</summary>
    public double Usage => MaxConnections == 0 ? 0 : (double)Total / MaxConnections;
}
