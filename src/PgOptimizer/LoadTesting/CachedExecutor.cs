using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Runs operations the way the application does with the cache: reads that have a caching policy
/// go through <see cref="SmartCache.GetOrSetAsync{TState, T}"/> (the result stands in as its row
/// count), writes run and then invalidate the tags they make stale — when they changed rows: a
/// write that changed nothing (a repeated like, an update of a missing row) leaves every cached
/// value true, as an application that checks its write's row count would.
/// </summary>
public sealed class CachedExecutor(IOperationExecutor inner, SmartCache cache) : IOperationExecutor
{
    // The ideal caches' view of each key: the invalidation sequence number when it was last loaded
    // (first requested, warmed, or requested again after an invalidation of one of its tags), and
    // for each tag ever invalidated the number of its last invalidation. A key is valid in the ideal
    // cache that honours invalidations while none of its tags was invalidated after its load. One
    // node per key and per invalidated tag (no set of keys per tag): this bookkeeping lives in the
    // measuring process as long as the cache's own entries, and the collector traces it as often.
    // One lookup per request and tag, lock-free. With the default lock count (one per core) the
    // workers would queue on the dictionaries' locks.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _keys = new(concurrencyLevel: 64, capacity: 1024, StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _invalidated = new(concurrencyLevel: 64, capacity: 1024, StringComparer.Ordinal);
    private long _sequence;
    private long _requests;
    private long _firstRequests;
    private long _compulsory;

    /// <inheritdoc />
    public string Name => inner.Name + "+cache";

    /// <summary>Cacheable reads run through this executor.</summary>
    public long CacheableRequests => Interlocked.Read(ref _requests);

    /// <summary>
    /// The hit rate an ideal cache would have had on the same requests: every key's first request
    /// misses (unless warmed), nothing expires, nothing is invalidated, nothing is evicted. The
    /// measured hit rate is judged against it: below it are expiry, invalidation and memory limits;
    /// the gap up to 100 % is the workload's key space.
    /// </summary>
    public double? IdealHitRate => CacheableRequests == 0 ? null : 1 - (double)Interlocked.Read(ref _firstRequests) / CacheableRequests;

    /// <summary>
    /// The hit rate an ideal cache that stays correct would have had: as <see cref="IdealHitRate"/>,
    /// except that a key whose tag a write invalidated must be loaded again (its next request
    /// misses). The measured hit rate below it is expiry and memory limits only.
    /// </summary>
    public double? IdealHitRateWithInvalidation => CacheableRequests == 0 ? null : 1 - (double)Interlocked.Read(ref _compulsory) / CacheableRequests;

    /// <summary>Counts a key as already loaded (e.g. by a warm-up), so that its first request is no compulsory miss.</summary>
    public void MarkLoaded(string key) => MarkLoaded(key, []);

    /// <summary>Counts a key with its tags as already loaded (e.g. by a warm-up).</summary>
    public void MarkLoaded(string key, IEnumerable<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        _keys[key] = Interlocked.Read(ref _sequence);
    }

    /// <inheritdoc />
    public async ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Intent == DbIntent.Read && operation.Cache is { } c)
        {
            return (await QueryAsync(operation, parameters, cancellationToken).ConfigureAwait(false)).Rows;
        }

        var rows = await inner.ExecuteAsync(operation, parameters, cancellationToken).ConfigureAwait(false);
        if (operation.Invalidates is { } i && rows != 0)
        {
            var tags = i.Tags(parameters);
            await cache.InvalidateByTagsAsync(tags, i.Strategies, cancellationToken).ConfigureAwait(false);
            var invalidation = Interlocked.Increment(ref _sequence);
            foreach (var tag in tags)
            {
                _invalidated[tag] = invalidation;
            }
        }

        return rows;
    }

    /// <inheritdoc />
    public ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Cache is not { } c)
        {
            return inner.QueryAsync(operation, parameters, cancellationToken);
        }

        var key = c.Key(parameters);
        var tags = c.Tags(parameters);
        Interlocked.Increment(ref _requests);
        if (!_keys.TryGetValue(key, out var loaded))
        {
            if (_keys.TryAdd(key, Interlocked.Read(ref _sequence)))
            {
                Interlocked.Increment(ref _firstRequests);
                Interlocked.Increment(ref _compulsory);
            }
        }
        else if (InvalidatedSince(tags, loaded) && _keys.TryUpdate(key, Interlocked.Read(ref _sequence), loaded))
        {
            Interlocked.Increment(ref _compulsory); // the first request since an invalidation (another request may have counted it)
        }

        return cache.GetOrSetAsync(key, (inner, operation, parameters), static (s, ct) => s.inner.QueryAsync(s.operation, s.parameters, ct), c.Strategy, tags, cancellationToken);
    }

    /// <summary>Whether a tag was invalidated after a load at <paramref name="loaded"/>.</summary>
    private bool InvalidatedSince(string[] tags, long loaded)
    {
        foreach (var tag in tags)
        {
            if (_invalidated.TryGetValue(tag, out var at) && at > loaded)
            {
                return true;
            }
        }

        return false;
    }
}
