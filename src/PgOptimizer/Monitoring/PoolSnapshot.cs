namespace PgOptimizer.Monitoring;

/// <summary>
/// A connection pool: connections the manager has handed out (busy), idle physical connections
/// Npgsql keeps open, peak and maximum, operations, circuit state, wait-time histogram (µs).
/// </summary>
public sealed record PoolSnapshot(string Name, int Busy, int Idle, int Peak, int Max, long Operations, string Circuit, string WaitHistogram)
{
    /// <summary>Busy / max (0–1).</summary>
    public double Usage => Max == 0 ? 0 : (double)Busy / Max;
}
