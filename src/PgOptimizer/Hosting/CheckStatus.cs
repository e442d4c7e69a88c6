namespace PgOptimizer.Hosting;

/// <summary>Outcome of one doctor check.</summary>
public enum CheckStatus
{
    /// <summary>As it should be.</summary>
    Ok,

    /// <summary>Worth knowing; nothing to fix.</summary>
    Info,

    /// <summary>Works, but something is missing or degraded.</summary>
    Warning,

    /// <summary>Blocks what depends on it.</summary>
    Error,
}
