namespace PgOptimizer;

/// <summary>
/// The tags of PgOptimizer's health checks, for ASP.NET Core's <c>MapHealthChecks</c> predicates:
/// liveness runs no check, readiness runs the checks tagged <see cref="Ready"/>.
/// </summary>
public static class HealthTags
{
    /// <summary>Every PgOptimizer check: "pgopt".</summary>
    public const string PgOptimizer = "pgopt";

    /// <summary>
    /// Checks that decide whether an instance takes traffic: "ready". Only the primary's check can
    /// be Unhealthy (it does not answer, or its pool is exhausted); replicas and performance are
    /// Degraded at worst, which a readiness probe still answers with 200.
    /// </summary>
    public const string Ready = "ready";

    /// <summary>Performance alerts (cache hit rate, slow queries, …): "performance". Degraded at worst.</summary>
    public const string Performance = "performance";
}
