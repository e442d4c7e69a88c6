using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Caching;

/// <summary>The common cached read in one call: the cache in front of the connection manager.</summary>
public static class SmartCacheReadExtensions
{
    /// <summary>
    /// The value of <paramref name="key"/> from the cache, else <paramref name="read"/> run through
    /// <paramref name="db"/> as a read (a replica when routing allows; retried on transient failures)
    /// and cached under <paramref name="strategy"/> with <paramref name="tags"/>. Static lambdas and
    /// the state avoid a closure per call; a null result (not found) is not cached unless the
    /// strategy caches nulls.
    /// </summary>
    public static ValueTask<T> GetOrReadAsync<TState, T>(
        this SmartCache cache,
        PgConnectionManager db,
        string key,
        TState state,
        Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> read,
        string strategy,
        IEnumerable<string>? tags = null,
        PgCallOptions options = default,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(read);
        return cache.GetOrSetAsync(key, new Read<TState, T>(db, state, read, options), static (r, ct) =>
            r.Db.ExecuteAsync(DbIntent.Read, r, static (c, r, ct) => r.Query(c, r.State, ct), r.Options, ct), strategy, tags, cancellationToken);
    }

    /// <summary>
    /// Runs a write through <paramref name="db"/> and then invalidates <paramref name="tags"/> in the
    /// strategies that use them, on every instance; the result is the write's.
    /// </summary>
    public static async ValueTask<T> WriteAndInvalidateAsync<TState, T>(
        this SmartCache cache,
        PgConnectionManager db,
        TState state,
        Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> write,
        IEnumerable<string> tags,
        PgCallOptions options = default,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(db);
        var result = await db.ExecuteAsync(DbIntent.Write, state, write, options, cancellationToken).ConfigureAwait(false);
        await cache.InvalidateByTagsAsync(tags, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private sealed record Read<TState, T>(PgConnectionManager Db, TState State, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> Query, PgCallOptions Options);
}
