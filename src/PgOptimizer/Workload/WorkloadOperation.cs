using PgOptimizer.Connections;

namespace PgOptimizer.Workload;

/// <summary>
/// One operation of an application's workload, as data: parameterized SQL ($1, $2, ...), whether it
/// reads or writes, its share of the default mix, and a generator of realistic parameters.
/// </summary>
/// <param name="Name">Stable name, e.g. "login_by_email".</param>
/// <param name="Intent">Read (may go to a replica, may be cached) or Write.</param>
/// <param name="Sql">The statement with positional parameters.</param>
/// <param name="DefaultWeight">Relative frequency in the default mix.</param>
/// <param name="Parameters">Draws one call's parameter values.</param>
/// <param name="Idempotent">A write that may safely run twice.</param>
public sealed record WorkloadOperation(
    string Name,
    DbIntent Intent,
    string Sql,
    int DefaultWeight,
    Func<WorkloadRandom, object?[]> Parameters,
    bool Idempotent = false)
{
    /// <summary>What the operation does, for people.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>For a read: how the application caches its result (strategy, key, tags). Null: not cached.</summary>
    public OperationCaching? Cache { get; init; }

    /// <summary>For a write: the cache tags it makes stale, in which strategies. Null: none.</summary>
    public OperationInvalidation? Invalidates { get; init; }
}
