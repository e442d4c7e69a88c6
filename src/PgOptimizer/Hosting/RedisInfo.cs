namespace PgOptimizer.Hosting;

/// <summary>Redis reachability.</summary>
public sealed record RedisInfo(bool Configured, string? Endpoint, bool Reachable, double? LatencyMs, string? Version);
