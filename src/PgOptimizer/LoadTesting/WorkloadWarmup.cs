using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Warms the cache with the keys a sample of the workload's own traffic asks for — the way a service
/// preloads what yesterday's traffic read most: a number of requests are drawn
/// from the mix with the workload's skewed generators (so popular keys come up most), the cacheable
/// reads are deduplicated by cache key, and each distinct key is loaded once through
/// <see cref="SmartCache.WarmupOnceAsync{T}"/> (not registered for later warm-ups).
/// </summary>
public static class WorkloadWarmup
{
    /// <summary>Draws <paramref name="sampleRequests"/> requests, loads each distinct cacheable key once, and reports what was loaded.</summary>
    public static async Task<WarmupReport> RunAsync(
        IWorkload workload,
        WorkloadMix mix,
        IOperationExecutor database,
        SmartCache cache,
        int sampleRequests,
        int seed,
        CachedExecutor? tracker = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentOutOfRangeException.ThrowIfNegative(sampleRequests);

        // A seed of its own: the sample predicts the run's popular keys without replaying its exact requests.
        var random = workload.CreateRandom(unchecked(seed + 7919));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<CacheWarmupEntry<QueryResult>>();
        for (var i = 0; i < sampleRequests; i++)
        {
            var op = mix.Next(random.Random);
            var args = op.Parameters(random);
            if (op.Intent != DbIntent.Read || op.Cache is not { } policy)
            {
                continue;
            }

            var key = policy.Key(args);
            if (seen.Add(key))
            {
                var tags = policy.Tags(args);
                entries.Add(new CacheWarmupEntry<QueryResult>(key, policy.Strategy, ct => database.QueryAsync(op, args, ct).AsTask(), tags));
                tracker?.MarkLoaded(key, tags);
            }
        }

        return await cache.WarmupOnceAsync(entries, cancellationToken).ConfigureAwait(false);
    }
}
