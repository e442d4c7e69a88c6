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

/// <summary>How a read's result is cached: the strategy, the key and the tags, from its parameters.</summary>
public sealed record OperationCaching(string Strategy, Func<object?[], string> Key, Func<object?[], string[]> Tags);

/// <summary>The tags a write makes stale (from its parameters) and the strategies that hold them.</summary>
public sealed record OperationInvalidation(Func<object?[], string[]> Tags, string[] Strategies);

/// <summary>A workload: its operations and the key space they draw parameters from.</summary>
public interface IWorkload
{
    /// <summary>The workload's name, in reports.</summary>
    string Name { get; }

    /// <summary>Its operations, each with SQL, weight and parameter generator.</summary>
    IReadOnlyList<WorkloadOperation> Operations { get; }

    /// <summary>The randomness of one worker (or of a warm-up sample), anchored where the data was generated.</summary>
    WorkloadRandom CreateRandom(int seed);
}

/// <summary>Per-worker randomness with the workload's skewed samplers.</summary>
public sealed class WorkloadRandom(int seed, DateTimeOffset anchor)
{
    public Random Random { get; } = new(seed);

    /// <summary>The time the data was generated around ("now" of the data set).</summary>
    public DateTimeOffset Anchor { get; } = anchor;

    public double NextDouble() => Random.NextDouble();

    public int Next(int maxExclusive) => Random.Next(maxExclusive);

    public long Zipf(ZipfSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        return sampler.Next(Random);
    }

    public T Pick<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items[Random.Next(items.Count)];
    }
}
