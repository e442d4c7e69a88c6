namespace PgOptimizer.Monitoring;

/// <summary>One pool: busy, idle and max connections and the mean wait for a connection.</summary>
public sealed record PoolHealth(string Endpoint, int Busy, int Idle, int Max, double Usage, double WaitP95Ms, string Circuit);
