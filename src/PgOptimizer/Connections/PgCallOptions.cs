namespace PgOptimizer.Connections;

/// <summary>Per-call settings of <see cref="PgConnectionManager"/>.</summary>
/// <param name="Idempotent">
/// The operation may run twice without harm (an upsert, an update that sets absolute values).
/// Writes marked so are retried also when their outcome is unknown (connection lost mid-way,
/// 08007, 40003). Reads are always treated as idempotent.
/// </param>
/// <param name="DisableRetry">True to run exactly once (no retries at all).</param>
public readonly record struct PgCallOptions(bool Idempotent = false, bool DisableRetry = false)
{
    /// <summary>A write that can safely run again.</summary>
    public static PgCallOptions IdempotentWrite => new(Idempotent: true);

    /// <summary>One attempt, no retry.</summary>
    public static PgCallOptions NoRetry => new(DisableRetry: true);
}
