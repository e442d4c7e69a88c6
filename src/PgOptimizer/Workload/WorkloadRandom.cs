using PgOptimizer.Connections;

namespace PgOptimizer.Workload;

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
