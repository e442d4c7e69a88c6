using System.Diagnostics;
using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;

namespace PgOptimizer.Caching;

/// <summary>
/// The two-tier cache, built on FusionCache: one FusionCache
/// per strategy (its own memory tier sized by the strategy's share, its own serializer, so
/// compression is per strategy), Redis as the shared second tier and the backplane that carries
/// invalidations to every instance's memory tier, stampede protection, fail-safe and timeouts from
/// FusionCache. Adds strategies, tags across strategies, LZ4 compression, warm-up, database-driven
/// invalidation (<see cref="CacheInvalidationListener"/>) and per-strategy metrics. Without Redis, or
/// while it is down, callers see no errors: the memory tier alone serves.
/// </summary>
public sealed partial class SmartCache : ICacheStatisticsSource, IAsyncDisposable
{
    private readonly FrozenDictionary<string, StrategyCache> _strategies;
    private readonly List<WarmupItem> _warmup = [];
    private readonly CacheOptions _options;
    private readonly ILogger _logger;
    private readonly Task _redisAttempt;
    private readonly TagUse _tagUse;
    private readonly DatabaseScopeRegistry? _scopes;
    private readonly CancellationTokenSource _disposed = new();
    private volatile bool _redisAttached;
    private int _disposeCalls;

    /// <summary>Creates the cache: a memory tier per strategy and, when Redis is configured and <see cref="CacheOptions.UseRedis"/>, Redis as the second tier and backplane.</summary>
    public SmartCache(IOptions<CacheOptions> options, RedisConnection redis, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redis);
        _options = options.Value;
        _options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<SmartCache>();
        UsesRedis = _options.UseRedis && redis.IsConfigured;
        KeyPrefix = _options.KeyPrefix ?? CacheDefaults.KeyPrefix(redis.ApplicationName);
        var names = _options.Strategies.Keys.ToList();
        _strategies = _options.Strategies.ToFrozenDictionary(
            kv => kv.Key,
            kv => new StrategyCache(kv.Key, kv.Value, _options, KeyPrefix, UsesRedis, loggerFactory) { Index = names.IndexOf(kv.Key) },
            StringComparer.Ordinal);
        _tagUse = new TagUse(KeyPrefix, names);
        if (UsesRedis && !string.IsNullOrWhiteSpace(_options.DatabaseScope))
        {
            _scopes = new DatabaseScopeRegistry(KeyPrefix, _options.DatabaseScope.Trim(), _options.DatabaseScopeInterval, _logger);
        }

        _redisAttempt = UsesRedis ? AttachRedisAsync(redis) : Task.CompletedTask;
    }

    /// <summary>The prefix of this cache's Redis keys and backplane channels (<see cref="CacheOptions.KeyPrefix"/>).</summary>
    public string KeyPrefix { get; }

    /// <summary>The database this cache records under its key prefix in Redis (<see cref="CacheOptions.DatabaseScope"/>), or null when none is known or Redis is not used.</summary>
    public string? DatabaseScope => _scopes?.Scope;

    /// <summary>
    /// Other databases whose caches used this cache's key prefix within the last hour (the longest a
    /// value they wrote may still be served), as recorded in Redis; empty when none. Each database's
    /// instances then read the other's values under the same keys: give them distinct
    /// <see cref="CacheOptions.KeyPrefix"/>es. Read when Redis is attached and every 5 minutes after.
    /// </summary>
    public IReadOnlyList<string> DatabasesSharingKeyPrefix => _scopes?.Others ?? [];

    /// <summary>The record of databases under the prefix, for tests: its checks so far.</summary>
    internal DatabaseScopeRegistry? ScopeRegistry => _scopes;

    /// <summary>True when Redis is configured as the second tier and backplane (it may not be connected yet).</summary>
    public bool UsesRedis { get; }

    /// <summary>True once Redis serves as the second tier and backplane.</summary>
    public bool RedisAttached => _redisAttached;

    /// <summary>
    /// Waits until Redis is the second tier and backplane, or until the first connection attempt
    /// failed (Redis is then attached in the background when it answers). The cache never waits for
    /// Redis on a read: until then it serves from memory and the database. Short-lived tools and
    /// tests call this before relying on Redis; invalidation, set and remove call it themselves, so
    /// that a change made right after start-up still reaches the other instances.
    /// </summary>
    public Task ConnectRedisAsync(CancellationToken cancellationToken = default) => _redisAttempt.WaitAsync(cancellationToken);

    private async Task AttachRedisAsync(RedisConnection redis)
    {
        await Task.Yield(); // the constructor returns at once
        var multiplexer = await redis.GetMultiplexerAsync().ConfigureAwait(false);
        if (multiplexer is null)
        {
            return;
        }

        if (multiplexer.IsConnected)
        {
            Attach(multiplexer);
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
                while (!multiplexer.IsConnected)
                {
                    await poll.WaitForNextTickAsync(_disposed.Token).ConfigureAwait(false);
                }

                Attach(multiplexer);
            }
            catch (OperationCanceledException)
            {
                // disposed before Redis answered
            }
        });
    }

    private void Attach(IConnectionMultiplexer multiplexer)
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        foreach (var s in _strategies.Values)
        {
            s.UseRedis(multiplexer);
        }

        _tagUse.Attach(multiplexer);
        _scopes?.Start(multiplexer, _disposed.Token);
        _redisAttached = true;
        LogRedisAttached(_logger, _strategies.Count);
    }

    /// <summary>The strategies' names.</summary>
    public IEnumerable<string> StrategyNames => _strategies.Keys;

    /// <summary>
    /// Cache-aside: the value from memory, else Redis, else
    /// <paramref name="factory"/> — run once per key across concurrent callers — stored in both tiers.
    /// A null result is not cached unless the strategy has <see cref="CacheStrategy.CacheNulls"/>.
    /// </summary>
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, Task<T>> factory, string strategy, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return GetOrSetAsync(key, factory, static (f, ct) => new ValueTask<T>(f(ct)), strategy, tags, cancellationToken);
    }

    /// <summary>
    /// Cache-aside with a <see cref="ValueTask{TResult}"/> factory (the connection manager's calls
    /// return one): as <see cref="GetOrSetAsync{T}(string, Func{CancellationToken, Task{T}}, string, IEnumerable{string}?, CancellationToken)"/>.
    /// </summary>
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, string strategy, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return GetOrSetAsync(key, factory, static (f, ct) => f(ct), strategy, tags, cancellationToken);
    }

    /// <summary>
    /// Cache-aside with a state handed to the factory, so that a static lambda serves every call
    /// without a closure: the value from memory, else Redis, else <paramref name="factory"/>(<paramref name="state"/>)
    /// — run once per key across concurrent callers — stored in both tiers. A null result is not
    /// cached unless the strategy has <see cref="CacheStrategy.CacheNulls"/>.
    /// </summary>
    public ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, string strategy, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(factory);
        var s = Strategy(strategy);
        if (s.Near is { } near)
        {
            switch (near.Lookup<T>(key, out var nearHit))
            {
                case NearLookup.Hit:
                    s.Stats.Hit();
                    return new ValueTask<T>(nearHit!);
                case NearLookup.TagInvalidated:
                    // FusionCache's read of an entry whose tag was invalidated expires it in memory and
                    // Redis and announces that on the backplane, awaiting both round trips on the
                    // caller's path: redundant, since the invalidation itself was announced and every
                    // reader checks tags. The load below reads memory first (a value that replaced
                    // the entry meanwhile is still served) and without that cascade.
                    return SlowGetOrSetAsync(s, _tagUse, key, new FactoryRun<TState, T>(state, factory, s, cancellationToken), tags);
            }
        }

        // A memory-tier hit completes synchronously without allocating. Only the async
        // API: checking an entry's tags may read a tag marker from Redis, and a synchronous read
        // would block a thread-pool thread on Redis (under load, the pool starves).
        var pending = s.Cache.TryGetAsync<T>(key, s.MemoryOnly, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var hit = pending.Result;
            if (hit.HasValue)
            {
                s.Stats.Hit();
                return new ValueTask<T>(hit.Value);
            }

            return SlowGetOrSetAsync(s, _tagUse, key, new FactoryRun<TState, T>(state, factory, s, cancellationToken), tags);
        }

        return AwaitMemoryThenGetOrSetAsync(s, _tagUse, pending, key, state, factory, tags, cancellationToken);
    }

    private static async ValueTask<T> AwaitMemoryThenGetOrSetAsync<TState, T>(StrategyCache s, TagUse tagUse, ValueTask<MaybeValue<T>> pending, string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, IEnumerable<string>? tags, CancellationToken cancellationToken)
    {
        var hit = await pending.ConfigureAwait(false);
        if (hit.HasValue)
        {
            s.Stats.Hit();
            return hit.Value;
        }

        return await SlowGetOrSetAsync(s, tagUse, key, new FactoryRun<TState, T>(state, factory, s, cancellationToken), tags).ConfigureAwait(false);
    }

    /// <summary>The value when either tier has it.</summary>
    public async ValueTask<MaybeValue<T>> TryGetAsync<T>(string key, string strategy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = Strategy(strategy);
        if (s.Near is { } near && near.TryGet<T>(key, out var nearHit))
        {
            s.Stats.Hit();
            return MaybeValue<T>.FromValue(nearHit);
        }

        var value = await s.Cache.TryGetAsync<T>(key, s.Entry, cancellationToken).ConfigureAwait(false);
        if (value.HasValue)
        {
            s.Stats.Hit();
        }

        return value;
    }

    /// <summary>Stores a value in both tiers (and tells the other instances to drop their copies).</summary>
    public async ValueTask SetAsync<T>(string key, T value, string strategy, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = Strategy(strategy);
        await FirstRedisAttemptAsync(cancellationToken).ConfigureAwait(false);
        var allTags = s.TagsWith(tags);
        await _tagUse.NoteAsync(s.Index, allTags).ConfigureAwait(false);
        s.Near?.Remove(key);
        await s.Cache.SetAsync(key, value, s.Entry, allTags, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a key from both tiers on every instance.</summary>
    public async ValueTask RemoveAsync(string key, string strategy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = Strategy(strategy);
        await FirstRedisAttemptAsync(cancellationToken).ConfigureAwait(false);
        s.Near?.Remove(key);
        await s.Cache.RemoveAsync(key, s.Entry, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask FirstRedisAttemptAsync(CancellationToken cancellationToken) =>
        _redisAttempt.IsCompleted ? ValueTask.CompletedTask : new ValueTask(_redisAttempt.WaitAsync(cancellationToken));

    /// <summary>
    /// Invalidates every entry carrying any of the tags, on every instance, in the strategies that
    /// store entries with those tags' families (on any instance; "pitch:42" belongs to "pitch:#").
    /// </summary>
    public ValueTask InvalidateByTagsAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default) =>
        InvalidateByTagsAsync(tags, null, cancellationToken);

    /// <summary>
    /// Invalidates every entry carrying any of the tags in the given strategies (when null or empty,
    /// those that use the tags), on every instance. Naming the strategies saves a tag marker write and a backplane
    /// message per other strategy.
    /// </summary>
    /// <remarks>
    /// An invalidation runs to completion whatever <paramref name="cancellationToken"/> says: it
    /// follows a write that has committed, and one cut short (a request aborted between the two)
    /// would leave this and other instances serving what the write replaced until it expires.
    /// </remarks>
    public async ValueTask InvalidateByTagsAsync(IEnumerable<string> tags, IReadOnlyCollection<string>? strategies, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var list = tags.Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            return;
        }

        await FirstRedisAttemptAsync(CancellationToken.None).ConfigureAwait(false);
        var targets = strategies is { Count: > 0 }
            ? strategies.Select(Strategy)
            : (await _tagUse.StrategiesUsingAsync(list, UsesRedis).ConfigureAwait(false)).Select(Strategy);
        foreach (var s in targets)
        {
            if (s.Near is { } near)
            {
                foreach (var tag in list)
                {
                    near.InvalidateTag(tag);
                }
            }

            // Without a token (see the remarks) FusionCache also skips wrapping the Redis write and the
            // backplane message each in a timeout race (two linked token sources and a delay task
            // per step: 1.8 KB per invalidation).
            await s.Cache.RemoveByTagAsync(list, s.Entry, CancellationToken.None).ConfigureAwait(false);
        }

        LogInvalidatedTags(_logger, list);
    }

    /// <summary>Drops every entry of a strategy on every instance.</summary>
    public async ValueTask ClearStrategyAsync(string strategy, CancellationToken cancellationToken = default)
    {
        var s = Strategy(strategy);
        await FirstRedisAttemptAsync(cancellationToken).ConfigureAwait(false);
        s.Near?.Clear();
        await s.Cache.ClearAsync(allowFailSafe: false, s.Entry, cancellationToken).ConfigureAwait(false);
        LogClearedStrategy(_logger, strategy);
    }

    /// <summary>Entries the strategy's near cache holds (0 when it is off).</summary>
    internal long NearEntries(string strategy) => Strategy(strategy).Near?.Count ?? 0;

    private StrategyCache Strategy(string name) =>
        _strategies.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var s)
            ? s
            : throw new PgOptimizerConfigurationException($"Unknown cache strategy '{name}'. Defined: {string.Join(", ", _strategies.Keys)}; add it under PgOptimizer:Caching:Strategies.");

    private static async ValueTask<T> SlowGetOrSetAsync<TState, T>(StrategyCache s, TagUse tagUse, string key, FactoryRun<TState, T> ran, IEnumerable<string>? tags)
    {
        var allTags = s.TagsWith(tags);
        await tagUse.NoteAsync(s.Index, allTags).ConfigureAwait(false);
        var governor = s.Redis;
        var viaRedis = governor is null || !governor.Bypassing;
        if (!viaRedis)
        {
            // No entry comes from Redis on this load, so the tags are checked only on this
            // instance's later hits: give them their markers now (one tick before the load, so the
            // entry it stores is newer) rather than one Redis read per tag on the first hit.
            s.SeedTagMarkers(allTags, DateTimeOffset.UtcNow.UtcTicks - 1);
        }

        var near = s.Near?.Begin(key, allTags);
        var started = Stopwatch.GetTimestamp();
        var value = await s.Cache.GetOrSetAsync<T>(key, ran.RunAsync, default, viaRedis ? s.Load : s.LoadMemoryOnly, allTags, CancellationToken.None).ConfigureAwait(false);
        if (!ran.Ran)
        {
            s.Stats.Hit(); // from Redis, or from another caller's factory run
        }
        else if (near is { } snapshot && Volatile.Read(ref ran.Loaded) && ran.Value is { } loaded)
        {
            // What this call's factory loaded (not a fail-safe or stale value FusionCache returned instead).
            s.Near!.Put(key, loaded, snapshot);
        }

        if (viaRedis)
        {
            governor?.Record(Stopwatch.GetTimestamp() - started, !ran.Ran, ran.Ticks, RedisTierGovernor.Witness(key));
        }
        else if (ran.Ran && (value is not null || s.CachesNulls) && RedisTierGovernor.Witness(key))
        {
            // Only the witnesses: what the next measurement of Redis needs (RedisTierGovernor)
            await s.Cache.SetAsync(key, value, value is null ? s.NullWriteBehind : s.WriteBehind, allTags, CancellationToken.None).ConfigureAwait(false);
        }

        return value;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeCalls, 1) != 0)
        {
            return; // registered under two service types, so disposed twice
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        foreach (var s in _strategies.Values)
        {
            await s.DisposeAsync().ConfigureAwait(false);
        }

        _disposed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache: Redis is the second tier and backplane of {Strategies} strategies")]
    private static partial void LogRedisAttached(ILogger logger, int strategies);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cache invalidated tags {Tags}")]
    private static partial void LogInvalidatedTags(ILogger logger, List<string> tags);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache strategy {Strategy}: a value in Redis could not be read ({Reason}); it is treated as a miss and replaced. Values cached by another version of the application under the same keys do this; logged once per strategy")]
    private static partial void LogUndecodable(ILogger logger, string strategy, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache strategy {Strategy} cleared")]
    private static partial void LogClearedStrategy(ILogger logger, string strategy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache strategy {Strategy}: the factory of {Key} failed or timed out; serving the stale value (fail-safe)")]
    private static partial void LogStale(ILogger logger, string strategy, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache strategy {Strategy}: Redis tier {State}")]
    private static partial void LogRedisTier(ILogger logger, string strategy, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache strategy {Strategy}: backplane {State}")]
    private static partial void LogBackplane(ILogger logger, string strategy, string state);
}
