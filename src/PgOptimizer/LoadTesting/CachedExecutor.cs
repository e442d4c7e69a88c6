using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Runs operations the way the application does with the cache: reads that have a caching policy
/// go through <see cref="SmartCache.GetOrSetAsync{TState, T}"/> (the result stands in as its row
/// count), writes run and then invalidate the tags they make stale.
/// </summary>
public sealed class CachedExecutor(IOperationExecutor inner, SmartCache cache) : IOperationExecutor
{
    // The ideal caches' view of each key (Seen: requested or warmed before; Valid: the ideal cache
    // that honours invalidations holds it now). One lookup per request, lock-free; written once per
    // key and per invalidation. With the default lock count (one per core) the workers would queue
    // on its locks.
    private const byte Seen = 1;
    private const byte Valid = 2;
    private const byte SeenAndValid = Seen | Valid;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _keys = new(concurrencyLevel: 64, capacity: 1024, StringComparer.Ordinal);
    // The keys carrying each tag (most tags have one or two: a small set under its own lock, not a
    // concurrent dictionary per tag).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HashSet<string>> _keysByTag = new(StringComparer.Ordinal);
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
        _keys[key] = SeenAndValid;
        NoteTags(key, tags);
    }

    private void NoteTags(string key, IEnumerable<string> tags)
    {
        foreach (var tag in tags)
        {
            var keys = _keysByTag.GetOrAdd(tag, static _ => new HashSet<string>(StringComparer.Ordinal));
            lock (keys)
            {
                keys.Add(key);
            }
        }
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
        if (operation.Invalidates is { } i)
        {
            var tags = i.Tags(parameters);
            await cache.InvalidateByTagsAsync(tags, i.Strategies, cancellationToken).ConfigureAwait(false);
            foreach (var tag in tags)
            {
                if (_keysByTag.TryGetValue(tag, out var keys))
                {
                    lock (keys)
                    {
                        foreach (var key in keys)
                        {
                            _keys[key] = Seen;
                        }
                    }
                }
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
        if (!_keys.TryGetValue(key, out var state) || state != SeenAndValid)
        {
            Track(key, tags, state);
        }

        return cache.GetOrSetAsync(key, (inner, operation, parameters), static (s, ct) => s.inner.QueryAsync(s.operation, s.parameters, ct), c.Strategy, tags, cancellationToken);
    }

    /// <summary>A key the ideal caches do not hold: its first request, or its first since an invalidation.</summary>
    private void Track(string key, IEnumerable<string> tags, byte state)
    {
        if (state == 0 && _keys.TryAdd(key, SeenAndValid))
        {
            Interlocked.Increment(ref _firstRequests);
        }
        else if (!_keys.TryUpdate(key, SeenAndValid, Seen))
        {
            return; // another request of the same key counted it
        }

        Interlocked.Increment(ref _compulsory);
        NoteTags(key, tags);
    }
}
