namespace PgOptimizer.Monitoring;

/// <summary>How to evaluate health.</summary>
public sealed record HealthEvaluation
{
    /// <summary>Merge the client figures of all live instances from Redis (else this instance's).</summary>
    public bool AllInstances { get; init; }

    /// <summary>Poll the server even on Neon when the application was idle. Default true (on demand).</summary>
    public bool ForceServerPoll { get; init; } = true;

    /// <summary>A one-shot check: conditions fire at once instead of after their "for" duration.</summary>
    public bool IgnoreForDurations { get; init; }
}
