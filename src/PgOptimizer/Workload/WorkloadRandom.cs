namespace PgOptimizer.Workload;

/// <summary>Per-worker randomness with the workload's skewed samplers.</summary>
public sealed class WorkloadRandom(int seed, DateTimeOffset anchor)
{
    /// <summary>The underlying generator, seeded per worker.</summary>
    public Random Random { get; } = new(seed);

    /// <summary>The time the data was generated around ("now" of the data set).</summary>
    public DateTimeOffset Anchor { get; } = anchor;

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => Random.NextDouble();

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive) => Random.Next(maxExclusive);

    /// <summary>A 1-based rank from a Zipf distribution: rank 1 most often.</summary>
    public long Zipf(ZipfSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        return sampler.Next(Random);
    }

    /// <summary>One of <paramref name="items"/>, uniformly.</summary>
    public T Pick<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items[Random.Next(items.Count)];
    }
}
