namespace PgOptimizer.AspNetCore.Dashboard;

/// <summary>Options of the web dashboard.</summary>
public sealed class DashboardOptions
{
    /// <summary>How often the history takes a point (and the pages refresh). Default 5 s.</summary>
    public TimeSpan Step { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How much history is kept in memory. Default one hour.</summary>
    public TimeSpan History { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Evaluate monitoring every <see cref="Step"/> over all application instances (their figures
    /// published to Redis) instead of reading this process's evaluations. <c>pgopt dashboard</c>
    /// does, as it serves no traffic of its own; inside an application leave it off.
    /// </summary>
    public bool AllInstances { get; set; }

    /// <summary>Let the dashboard act (cancel a query). Off by default: the dashboard is read-only.</summary>
    public bool AllowActions { get; set; }

    /// <summary>
    /// A token every request must carry (Authorization: Bearer, or ?token= once, which sets a
    /// cookie). Required when the dashboard listens beyond loopback without the application's own
    /// authorization; <c>pgopt dashboard --bind</c> enforces it.
    /// </summary>
    public string? Token { get; set; }
}
