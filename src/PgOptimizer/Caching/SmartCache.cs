using System.Collections.Frozen;
using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

using PgOptimizer.Diagnostics;

namespace PgOptimizer.Caching;

/// <summary>
/// The two-tier cache (the specification's SmartCacheManager), built on FusionCache: one FusionCache
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

    public SmartCache(IOptions<CacheOptions> options, RedisConnection redis, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redis);
        _options = options.Value;
        _options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<SmartCache>();
        UsesRedis = _options.UseRedis && redis.IsConfigured;
        Func<Task<IConnectionMultiplexer>> multiplexer = async () => (await redis.GetMultiplexerAsync().ConfigureAwait(false))!;
        _strategies = _options.Strategies.ToFrozenDictionary(
            kv => kv.Key,
            kv => new StrategyCache(kv.Key, kv.Value, _options, UsesRedis ? multiplexer : null, loggerFactory),
            StringComparer.Ordinal);
    }

    /// <summary>True when Redis is the second tier and backplane.</summary>
    public bool UsesRedis { get; }

    /// <summary>The strategies' names.</summary>
    public IEnumerable<string> StrategyNames => _strategies.Keys;

    /// <summary>
    /// Cache-aside (the specification's getCachedQuery): the value from memory, else Redis, else
    /// <paramref name="factory"/> — run once per key across concurrent callers — stored in both tiers.
    /// </summary>
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, Task<T>> factory, string strategy, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(factory);
        var s = Strategy(strategy);
        // The hot path: a memory-tier hit completes synchronously without allocating. It must be the
        // asynchronous API: checking an entry's tags can read a tag marker from Redis (after another
        // instance invalidated it), and FusionCache's synchronous API would then block a thread-pool
        // thread on Redis — under load that starves the pool, Redis replies wait for a thread, and
        // every caller times out together (measured: 2 s stalls and the Redis tier switched off).
        var pending = s.Cache.TryGetAsync<T>(key, s.MemoryOnly, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var hit = pending.Result;
            if (hit.HasValue)
            {
                s.Stats.Hit();
                return new ValueTask<T>(hit.Value);
            }

            return SlowGetOrSetAsync(s, key, factory, tags, cancellationToken);
        }

        return AwaitMemoryThenGetOrSetAsync(s, pending, key, factory, tags, cancellationToken);
    }

    private static async ValueTask<T> AwaitMemoryThenGetOrSetAsync<T>(StrategyCache s, ValueTask<MaybeValue<T>> pending, string key, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags, CancellationToken cancellationToken)
    {
        var hit = await pending.ConfigureAwait(false);
        if (hit.HasValue)
        {
            s.Stats.Hit();
            return hit.Value;
        }

        return await SlowGetOrSetAsync(s, key, factory, tags, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The value when either tier has it.</summary>
    public async ValueTask<MaybeValue<T>> TryGetAsync<T>(string key, string strategy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = Strategy(strategy);
        var value = await s.Cache.TryGetAsync<T>(key, s.Entry, cancellationToken).ConfigureAwait(false);
        if (value.HasValue)
        {
            s.Stats.Hit();
        }

        return value;
    }

    /// <summary>Stores a value in both tiers (and tells the other instances to drop their copies).</summary>
    public ValueTask SetAsync<T>(string key, T value, string strategy, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = Strategy(strategy);
        return s.Cache.SetAsync(key, value, s.Entry, s.TagsWith(tags), cancellationToken);
    }

    /// <summary>Removes a key from both tiers on every instance.</summary>
    public ValueTask RemoveAsync(string key, string strategy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = Strategy(strategy);
        return s.Cache.RemoveAsync(key, s.Entry, cancellationToken);
    }

    /// <summary>Invalidates every entry carrying any of the tags, in every strategy, on every instance.</summary>
    public ValueTask InvalidateByTagsAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default) =>
        InvalidateByTagsAsync(tags, null, cancellationToken);

    /// <summary>
    /// Invalidates every entry carrying any of the tags in the given strategies (all when null or
    /// empty), on every instance. Naming the strategies saves a tag marker write and a backplane
    /// message per other strategy.
    /// </summary>
    public async ValueTask InvalidateByTagsAsync(IEnumerable<string> tags, IReadOnlyCollection<string>? strategies, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var list = tags.Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            return;
        }

        var targets = strategies is { Count: > 0 } ? strategies.Select(Strategy) : _strategies.Values;
        foreach (var s in targets)
        {
            await s.Cache.RemoveByTagAsync(list, s.Entry, cancellationToken).ConfigureAwait(false);
        }

        LogInvalidatedTags(_logger, list);
    }

    /// <summary>Drops every entry of a strategy on every instance.</summary>
    public async ValueTask ClearStrategyAsync(string strategy, CancellationToken cancellationToken = default)
    {
        var s = Strategy(strategy);
        await s.Cache.ClearAsync(allowFailSafe: false, s.Entry, cancellationToken).ConfigureAwait(false);
        LogClearedStrategy(_logger, strategy);
    }

    /// <summary>Registers a key to load at start-up and on <see cref="WarmupAsync"/>.</summary>
    public void AddWarmup<T>(string key, string strategy, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Strategy(strategy); // fails now for an unknown strategy, not at warm-up
        var list = tags?.ToList();
        lock (_warmup)
        {
            _warmup.Add(new WarmupItem(key, strategy, ct => GetOrSetAsync(key, factory, strategy, list, ct).AsTask()));
        }
    }

    /// <summary>Loads every registered warm-up key, a few at a time; failures are reported, not thrown.</summary>
    public Task<WarmupReport> WarmupAsync(CancellationToken cancellationToken = default)
    {
        List<WarmupItem> items;
        lock (_warmup)
        {
            items = [.. _warmup];
        }

        return RunWarmupAsync(items, cancellationToken);
    }

    /// <summary>
    /// Loads the given keys once, a few at a time, without registering them for later warm-ups (e.g. a
    /// sample of recent traffic); failures are reported, not thrown.
    /// </summary>
    public Task<WarmupReport> WarmupOnceAsync<T>(IEnumerable<CacheWarmupEntry<T>> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var items = new List<WarmupItem>();
        foreach (var e in entries)
        {
            ArgumentNullException.ThrowIfNull(e.Factory);
            Strategy(e.Strategy);
            var tags = e.Tags?.ToList();
            items.Add(new WarmupItem(e.Key, e.Strategy, ct => GetOrSetAsync(e.Key, e.Factory, e.Strategy, tags, ct).AsTask()));
        }

        return RunWarmupAsync(items, cancellationToken);
    }

    private async Task<WarmupReport> RunWarmupAsync(List<WarmupItem> items, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = _options.WarmupConcurrency, CancellationToken = cancellationToken }, async (item, ct) =>
        {
            try
            {
                await item.Load(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed.Add(item.Key);
                LogWarmupFailed(_logger, item.Key, item.Strategy, ex.Message);
            }
        }).ConfigureAwait(false);
        return new WarmupReport(items.Count, items.Count - failed.Count, [.. failed], Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Keys of each strategy in Redis (SCAN; up to <paramref name="limit"/> per strategy), or null without Redis.</summary>
    public async Task<IReadOnlyDictionary<string, long>?> CountRedisKeysAsync(RedisConnection redis, long limit = 1_000_000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var mux = await redis.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false);
        if (!UsesRedis || mux is not { IsConnected: true })
        {
            return null;
        }

        var server = mux.GetServers().First(s => s.IsConnected);
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in _strategies.Keys)
        {
            long n = 0;
            await foreach (var _ in server.KeysAsync(pattern: $"*{_options.KeyPrefix}{name}:*", pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (++n >= limit)
                {
                    break;
                }
            }

            result[name] = n;
        }

        return result;
    }

    /// <summary>Per-strategy counters since start.</summary>
    public IReadOnlyList<CacheStrategyCounters> GetCounters() => _strategies.Values.Select(s => s.Stats.Snapshot()).ToList();

    private StrategyCache Strategy(string name) =>
        _strategies.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var s)
            ? s
            : throw new PgOptimizerConfigurationException($"Unknown cache strategy '{name}'. Defined: {string.Join(", ", _strategies.Keys)}; add it under PgOptimizer:Caching:Strategies.");

    private static async ValueTask<T> SlowGetOrSetAsync<T>(StrategyCache s, string key, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags, CancellationToken cancellationToken)
    {
        var ran = new FactoryRun<T>(factory, s.Stats);
        var value = await s.Cache.GetOrSetAsync<T>(key, ran.RunAsync, default, s.Entry, s.TagsWith(tags), cancellationToken).ConfigureAwait(false);
        if (!ran.Ran)
        {
            s.Stats.Hit(); // from Redis, or from another caller's factory run
        }

        return value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _strategies.Values)
        {
            await s.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache invalidated tags {Tags}")]
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache warm-up of {Key} ({Strategy}) failed: {Reason}")]
    private static partial void LogWarmupFailed(ILogger logger, string key, string strategy, string reason);

    private sealed record WarmupItem(string Key, string Strategy, Func<CancellationToken, Task> Load);

    /// <summary>The factory wrapper of one miss: times the factory and says whether it ran.</summary>
    private sealed class FactoryRun<T>(Func<CancellationToken, Task<T>> factory, CacheStrategyStats stats)
    {
        public bool Ran;

        public async Task<T> RunAsync(FusionCacheFactoryExecutionContext<T> context, CancellationToken cancellationToken)
        {
            Ran = true;
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await factory(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                stats.Miss(Stopwatch.GetTimestamp() - started);
            }
        }
    }

    /// <summary>One strategy's FusionCache with its memory tier, entry options and counters.</summary>
    private sealed class StrategyCache : IAsyncDisposable
    {
        private readonly MemoryCache _memory;
        private readonly string[] _tags;

        public StrategyCache(string name, CacheStrategy strategy, CacheOptions options, Func<Task<IConnectionMultiplexer>>? multiplexer, ILoggerFactory loggers)
        {
            Stats = new CacheStrategyStats(name);
            _tags = [.. strategy.Tags];
            _memory = new MemoryCache(new MemoryCacheOptions { SizeLimit = Math.Max(10, (long)(options.MemoryEntryLimit * strategy.MemoryShare)) });
            Entry = new FusionCacheEntryOptions
            {
                Duration = strategy.Duration,
                MemoryCacheDuration = strategy.MemoryDuration,
                Size = 1,
                IsFailSafeEnabled = strategy.FailSafeMaxDuration > TimeSpan.Zero,
                FailSafeMaxDuration = strategy.FailSafeMaxDuration > TimeSpan.Zero ? strategy.Duration + strategy.FailSafeMaxDuration : strategy.Duration,
                FactorySoftTimeout = strategy.FactorySoftTimeout,
                DistributedCacheSoftTimeout = options.DistributedSoftTimeout,
                DistributedCacheHardTimeout = options.DistributedSoftTimeout * 4,
                AllowBackgroundDistributedCacheOperations = options.BackgroundDistributedOperations,
                AllowBackgroundBackplaneOperations = options.BackgroundDistributedOperations,
                ReThrowDistributedCacheExceptions = false,
                ReThrowBackplaneExceptions = false,
                ReThrowSerializationExceptions = false,
            };
            MemoryOnly = Entry.Duplicate();
            MemoryOnly.SkipDistributedCacheRead = true;
            // No CacheKeyPrefix: FusionCache would concatenate it onto the key on every call, memory
            // hits included (measured: a string allocation per hit). Each strategy has a memory tier
            // of its own, and Redis keys get the prefix from the Redis tier's InstanceName instead.
            var fusionOptions = new FusionCacheOptions
            {
                CacheName = name,
                BackplaneChannelPrefix = $"{options.KeyPrefix}{name}",
                DefaultEntryOptions = Entry,
                DistributedCacheCircuitBreakerDuration = options.DistributedCircuitBreakDuration,
                BackplaneCircuitBreakerDuration = options.DistributedCircuitBreakDuration,
                WaitForInitialBackplaneSubscribe = true,
                EnableAutoRecovery = true,
            };
            // FusionCache tags every operation with a generated id once it has a logger — an allocation
            // per call, memory hits included (measured) — so by default it gets none and the events
            // that matter to an operator are logged here from its events instead.
            Cache = new FusionCache(fusionOptions, _memory, options.FusionCacheLogging ? loggers.CreateLogger<FusionCache>() : null);
            if (multiplexer is not null)
            {
                var distributed = new RedisCache(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = multiplexer, InstanceName = $"{options.KeyPrefix}{name}:" }));
                var undecodableLogged = 0;
                var serializerLogger = loggers.CreateLogger<SmartCache>();
                Cache.SetupDistributedCache(distributed, new CompressingSerializer(new FusionCacheSystemTextJsonSerializer(), strategy.Compress, options.CompressionThreshold, Stats, ex =>
                {
                    if (Interlocked.Exchange(ref undecodableLogged, 1) == 0)
                    {
                        LogUndecodable(serializerLogger, name, ex.Message);
                    }
                }));
                Cache.SetupBackplane(new RedisBackplane(new RedisBackplaneOptions { ConnectionMultiplexerFactory = multiplexer }, loggers.CreateLogger<RedisBackplane>()));
            }

            var logger = loggers.CreateLogger<SmartCache>();
            Cache.Events.Distributed.Hit += (_, _) => Stats.DistributedHit();
            Cache.Events.FailSafeActivate += (_, e) =>
            {
                Stats.Stale();
                LogStale(logger, name, e.Key);
            };
            Cache.Events.Distributed.CircuitBreakerChange += (_, e) => LogRedisTier(logger, name, e.IsClosed ? "available again" : "unavailable: serving from memory only");
            Cache.Events.Backplane.CircuitBreakerChange += (_, e) => LogBackplane(logger, name, e.IsClosed ? "available again" : "unavailable: other instances are not told of changes until it returns");
            Cache.Events.Memory.Eviction += (_, e) =>
            {
                if (e.Reason == EvictionReason.Capacity)
                {
                    Stats.Eviction();
                }
            };
        }

        public FusionCache Cache { get; }

        public FusionCacheEntryOptions Entry { get; }

        public FusionCacheEntryOptions MemoryOnly { get; }

        public CacheStrategyStats Stats { get; }

        public IEnumerable<string>? TagsWith(IEnumerable<string>? tags) =>
            tags is null ? (_tags.Length == 0 ? null : _tags) : (_tags.Length == 0 ? tags : _tags.Concat(tags));

        public ValueTask DisposeAsync()
        {
            Cache.Dispose();
            _memory.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>What a warm-up did.</summary>
public sealed record WarmupReport(int Items, int Loaded, IReadOnlyList<string> Failed, TimeSpan Elapsed);

/// <summary>One key to load in a one-off warm-up: where it goes, how to load it, its tags.</summary>
public sealed record CacheWarmupEntry<T>(string Key, string Strategy, Func<CancellationToken, Task<T>> Factory, IReadOnlyList<string>? Tags = null);
