namespace PgOptimizer.LoadTesting;

/// <summary>What runs the workload's operations in a load test.</summary>
public enum LoadTestExecutor
{
    /// <summary>The connection manager (routing, retries, breakers) and, for reads with a caching policy, the two-tier cache.</summary>
    Toolkit,

    /// <summary>The connection manager alone: every read goes to the database.</summary>
    ToolkitWithoutCache,

    /// <summary>Plain Npgsql with the same pool size and preparation: the baseline.</summary>
    RawNpgsql,
}
