namespace PgOptimizer.Connections;

/// <summary>A Redis PING result.</summary>
public sealed record RedisPing(TimeSpan Latency, string? ServerVersion);
