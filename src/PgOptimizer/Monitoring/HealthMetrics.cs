namespace PgOptimizer.Monitoring;

/// <summary>The figures behind a health evaluation.</summary>
/// <param name="ConnectionHealth">The connection manager's pools.</param>
/// <param name="QueryPerformance">Client-side query figures of the window.</param>
/// <param name="CachePerformance">The application cache (or the server's buffer cache).</param>
/// <param name="Server">What the server reported; null when it could not be polled.</param>
public sealed record HealthMetrics(
    ConnectionHealth ConnectionHealth,
    QueryPerformance QueryPerformance,
    CachePerformance CachePerformance,
    ServerHealth? Server);
