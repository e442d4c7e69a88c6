using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

public sealed record HealthMetrics(
    ConnectionHealth ConnectionHealth,
    QueryPerformance QueryPerformance,
    CachePerformance CachePerformance,
    ServerHealth? Server);
