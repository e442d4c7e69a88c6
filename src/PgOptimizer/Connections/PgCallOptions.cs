using NpgsqlTypes;

namespace PgOptimizer.Connections;

/// <summary>Per-call settings of <see cref="PgConnectionManager"/>.</summary>
/// <param name="Idempotent">
/// The operation may run twice without harm (an upsert, an update that sets absolute values).
/// Writes marked so are retried also when their outcome is unknown (connection lost mid-way,
/// 08007, 40003). Reads are always treated as idempotent.
/// </param>
/// <param name="DisableRetry">True to run exactly once (no retries at all).</param>
/// <param name="QueryType">What kind of read this is, for routing. Default <see cref="QueryType.ReadOnly"/>.</param>
/// <param name="Strategy">A load-balancing strategy for this call only (by name, e.g. "least-connections"); null: the configured one.</param>
/// <param name="Session">
/// Read-your-writes session (a user id, a request id): a write records the primary's WAL position
/// for it, and a read goes only to replicas that have replayed past that position, else to the
/// primary. Null: the ambient session (<see cref="PgConnectionManager.BeginSession"/>), if any.
/// </param>
/// <param name="MinWalPosition">A read goes only to replicas that have replayed at least this far.</param>
public readonly record struct PgCallOptions(
    bool Idempotent = false,
    bool DisableRetry = false,
    QueryType QueryType = QueryType.ReadOnly,
    string? Strategy = null,
    string? Session = null,
    NpgsqlLogSequenceNumber? MinWalPosition = null)
{
    /// <summary>
    /// Reset the session before the connection goes back to the pool: for a call that changes
    /// session state in a way its SQL does not show (a function that calls set_config or takes a
    /// session advisory lock). Calls whose SQL shows it are reset without asking
    /// (<see cref="SessionResetMode.WhenChanged"/>).
    /// </summary>
    public bool ResetSession { get; init; }

    /// <summary>A write that can safely run again.</summary>
    public static PgCallOptions IdempotentWrite => new(Idempotent: true);

    /// <summary>One attempt, no retry.</summary>
    public static PgCallOptions NoRetry => new(DisableRetry: true);

    /// <summary>A read of the given type.</summary>
    public static PgCallOptions Read(QueryType queryType) => new(QueryType: queryType);
}
