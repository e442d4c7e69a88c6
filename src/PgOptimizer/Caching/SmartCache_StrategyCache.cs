using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace PgOptimizer.Caching;

// One strategy's cache: its FusionCache instance, tiers, events and counters.
public sealed partial class SmartCache
{
    /// <summary>
    /// The factory wrapper of one miss: times the factory, says whether it ran, hands it the
    /// caller's state and token, and keeps a null result out of the cache (or briefly in it, when
    /// the strategy caches nulls). FusionCache gets no token: given a cancellable one it races every
    /// Redis call and the factory against a timer (two cancellation sources and a Task.Delay each);
    /// the caller's cancellation reaches the query through the factory, Redis calls end at Redis's
    /// own timeout.
    /// </summary>
    private sealed class FactoryRun<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T>> factory, StrategyCache strategy, CancellationToken callerToken)
    {
        public bool Ran;

        public long Ticks;

        /// <summary>Whether the factory returned (<see cref="Value"/> is what it loaded).</summary>
        public bool Loaded;

        public T? Value;

        public async Task<T> RunAsync(FusionCacheFactoryExecutionContext<T> context, CancellationToken cancellationToken)
        {
            Ran = true;
            var started = Stopwatch.GetTimestamp();
            T value;
            try
            {
                value = await factory(state, callerToken.CanBeCanceled ? callerToken : cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Ticks = Stopwatch.GetTimestamp() - started;
                strategy.Stats.Miss(Ticks);
            }

            if (value is null)
            {
                strategy.Null(context.Options);
            }

            Value = value;
            Volatile.Write(ref Loaded, true);
            return value;
        }
    }

    /// <summary>One strategy's FusionCache with its memory tier, entry options and counters.</summary>
    private sealed class StrategyCache : IAsyncDisposable
    {
        private readonly MemoryCache _memory;
        private readonly string[] _tags;
        private readonly string _name;
        private readonly CacheStrategy _strategy;
        private readonly CacheOptions _options;
        private readonly string _keyPrefix;
        private readonly TimeSpan _nullDuration;
        private readonly ILoggerFactory _loggers;
        private readonly string _tagKeyPrefix;
        private bool _distributed;

        public StrategyCache(string name, CacheStrategy strategy, CacheOptions options, string keyPrefix, bool redis, ILoggerFactory loggers)
        {
            Stats = new CacheStrategyStats(name);
            _tags = [.. strategy.Tags];
            var memoryLimit = Math.Max(10, (long)(options.MemoryEntryLimit * strategy.MemoryShare));
            _memory = new MemoryCache(new MemoryCacheOptions { SizeLimit = memoryLimit });
            Near = options.NearCache ? new NearCache(memoryLimit, strategy.MemoryDuration ?? strategy.Duration) : null;
            Entry = new FusionCacheEntryOptions
            {
                Duration = strategy.Duration,
                MemoryCacheDuration = strategy.MemoryDuration,
                Size = 1,
                IsFailSafeEnabled = strategy.FailSafeMaxDuration > TimeSpan.Zero,
                FailSafeMaxDuration = strategy.FailSafeMaxDuration > TimeSpan.Zero ? strategy.Duration + strategy.FailSafeMaxDuration : strategy.Duration,
                FactorySoftTimeout = strategy.FactorySoftTimeout,
                DistributedCacheSoftTimeout = options.DistributedSoftTimeout ?? Timeout.InfiniteTimeSpan,
                DistributedCacheHardTimeout = options.DistributedSoftTimeout * 4 ?? Timeout.InfiniteTimeSpan,
                AllowBackgroundDistributedCacheOperations = options.BackgroundDistributedOperations,
                AllowBackgroundBackplaneOperations = options.BackgroundDistributedOperations,
                ReThrowDistributedCacheExceptions = false,
                ReThrowBackplaneExceptions = false,
                ReThrowSerializationExceptions = false,
            };
            MemoryOnly = Entry.Duplicate();
            MemoryOnly.SkipDistributedCacheRead = true;
            // A value loaded by the factory is what the database holds now: another instance's copy
            // differs only if the data changed, and a change invalidates by tag or key, which is
            // broadcast. So a load is not announced on the backplane (one PUBLISH per miss saved);
            // explicit sets, removals and tag invalidations still are.
            Load = Entry.Duplicate();
            Load.SkipBackplaneNotifications = true;
            // While Redis does not pay, a miss skips the read (the round trip on the caller's path) but
            // still writes what it loaded, in the background: Redis stays as full as it would be, so
            // the next measurement is fair, and other instances keep finding the values there.
            // (FusionCache does no distributed work for a call that skips the read and the backplane,
            // so the write is a call of its own that skips the memory tier.)
            LoadMemoryOnly = Load.Duplicate();
            LoadMemoryOnly.SkipDistributedCacheRead = true;
            LoadMemoryOnly.SkipDistributedCacheWrite = true;
            WriteBehind = Load.Duplicate();
            WriteBehind.SkipMemoryCacheRead = true;
            WriteBehind.SkipMemoryCacheWrite = true;
            WriteBehind.AllowBackgroundDistributedCacheOperations = true;
            CachesNulls = strategy.CacheNulls;
            _nullDuration = strategy.NullDuration;
            NullWriteBehind = WriteBehind.Duplicate();
            Null(NullWriteBehind);
            Redis = redis && strategy.AdaptiveRedis ? new RedisTierGovernor(CacheDefaults.RedisWindow, strategy.RedisProbeInterval) : null;
            Stats.Governor = Redis;
            Stats.Configured = strategy;
            // A tag's marker (when the tag was last invalidated) is read from Redis on an instance's
            // first check of that tag; a tag never invalidated has no marker, and FusionCache would
            // then write a zero marker to Redis and announce it on the backplane for each new tag (a
            // HSET, an EXPIRE and a PUBLISH per first-seen tag). The zero stays in memory only; a real
            // invalidation writes the marker and tells every instance to drop its copy.
            var tagOptions = new FusionCacheOptions().TagsDefaultEntryOptions.Duplicate();
            tagOptions.SkipDistributedCacheWrite = true;
            tagOptions.SkipBackplaneNotifications = true;
            tagOptions.DistributedCacheSoftTimeout = Entry.DistributedCacheSoftTimeout;
            tagOptions.DistributedCacheHardTimeout = Entry.DistributedCacheHardTimeout;
            TagMarkerMemoryOnly = tagOptions.Duplicate();
            TagMarkerMemoryOnly.SkipDistributedCacheRead = true;
            // No CacheKeyPrefix: FusionCache would concatenate it onto every key, memory hits included.
            // Each strategy has its own memory tier; Redis keys get the prefix from InstanceName.
            var fusionOptions = new FusionCacheOptions
            {
                CacheName = name,
                BackplaneChannelPrefix = $"{keyPrefix}{name}",
                DefaultEntryOptions = Entry,
                TagsDefaultEntryOptions = tagOptions,
                DistributedCacheCircuitBreakerDuration = options.DistributedCircuitBreakDuration,
                BackplaneCircuitBreakerDuration = options.DistributedCircuitBreakDuration,
                WaitForInitialBackplaneSubscribe = true,
                EnableAutoRecovery = true,
                // The handlers below only count and log: run them inline rather than as a thread-pool
                // work item per event.
                EnableSyncEventHandlersExecution = true,
            };
            // With a logger FusionCache allocates an operation id per call, memory hits included: by
            // default it gets none, and what an operator needs is logged here from its events.
            _tagKeyPrefix = fusionOptions.InternalStrings.TagCacheKeyPrefix;
            Cache = new FusionCache(fusionOptions, new EvictionSamplingMemoryCache(_memory, Stats, _tagKeyPrefix), options.FusionCacheLogging ? loggers.CreateLogger<FusionCache>() : null, new KeyedMemoryLocker());
            _name = name;
            _strategy = strategy;
            _options = options;
            _keyPrefix = keyPrefix;
            _loggers = loggers;
            var logger = loggers.CreateLogger<SmartCache>();
            Cache.Events.Distributed.Hit += (_, _) => Stats.DistributedHit();
            if (Near is { } near)
            {
                // What another instance changed: a key set or removed, a tag invalidated, everything cleared.
                var clearTags = new[] { fusionOptions.InternalStrings.ClearRemoveTag, fusionOptions.InternalStrings.ClearExpireTag };
                Cache.Events.Backplane.MessageReceived += (_, e) =>
                {
                    if (e.Message.CacheKey is not { } key)
                    {
                        return;
                    }

                    if (!key.StartsWith(_tagKeyPrefix, StringComparison.Ordinal))
                    {
                        near.Remove(key);
                        return;
                    }

                    var tag = key[_tagKeyPrefix.Length..];
                    if (Array.IndexOf(clearTags, tag) >= 0)
                    {
                        near.Clear();
                    }
                    else
                    {
                        near.InvalidateTag(tag);
                    }
                };
            }

            Cache.Events.FailSafeActivate += (_, e) =>
            {
                Stats.Stale();
                LogStale(logger, name, e.Key);
            };
            Cache.Events.Distributed.CircuitBreakerChange += (_, e) => LogRedisTier(logger, name, e.IsClosed ? "available again" : "unavailable: serving from memory only");
            Cache.Events.Backplane.CircuitBreakerChange += (_, e) => LogBackplane(logger, name, e.IsClosed ? "available again" : "unavailable: other instances are not told of changes until it returns");
        }

        public FusionCache Cache { get; }

        /// <summary>Hits on values this instance loaded, without FusionCache's per-hit work; null when <see cref="CacheOptions.NearCache"/> is off.</summary>
        public NearCache? Near { get; }

        /// <summary>The strategy's position among the cache's strategies.</summary>
        public int Index { get; init; }

        /// <summary>
        /// Adds Redis as the second tier and the backplane, once it is connected (the backplane's
        /// subscription needs a live connection: FusionCache gives up on it after three failures).
        /// </summary>
        public void UseRedis(IConnectionMultiplexer multiplexer)
        {
            var distributed = new RedisCache(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = () => Task.FromResult(multiplexer), InstanceName = $"{_keyPrefix}{_name}:" }));
            var undecodableLogged = 0;
            var serializerLogger = _loggers.CreateLogger<SmartCache>();
            Cache.SetupDistributedCache(distributed, new CompressingSerializer(new FusionCacheSystemTextJsonSerializer(), _strategy.Compress, _options.CompressionThreshold, Stats, ex =>
            {
                if (Interlocked.Exchange(ref undecodableLogged, 1) == 0)
                {
                    LogUndecodable(serializerLogger, _name, ex.Message);
                }
            }));
            Cache.SetupBackplane(new RedisBackplane(new RedisBackplaneOptions { ConnectionMultiplexerFactory = () => Task.FromResult(multiplexer) }, _loggers.CreateLogger<RedisBackplane>()));
            _distributed = true;
        }

        /// <summary>The options of a tag marker this instance sets itself: memory only, never read from Redis.</summary>
        public FusionCacheEntryOptions TagMarkerMemoryOnly { get; }

        /// <summary>
        /// Before a load that will not read Redis: gives each tag without a marker in memory one that
        /// invalidates everything this instance cached with the tag before <paramref name="notAfter"/>
        /// (FusionCache's tick timestamps). Without it, the first hit of every new entry reads the
        /// tag's marker from Redis — a round trip on the hit path, per tag, for tags that are mostly
        /// never invalidated. The value is safe whatever Redis holds: a marker there is older than
        /// this load (the entry about to be stored is newer and valid, older local entries are
        /// dropped, as they would be by that marker or a later one); an invalidation from now on
        /// reaches this instance on the backplane, which removes the local marker so that the next
        /// check reads Redis again.
        /// </summary>
        public void SeedTagMarkers(IEnumerable<string>? tags, long notAfter)
        {
            if (tags is null || !_distributed)
            {
                return;
            }

            foreach (var tag in tags)
            {
                var key = _tagKeyPrefix + tag;
                if (!Cache.TryGet<long>(key, TagMarkerMemoryOnly).HasValue)
                {
                    Cache.Set(key, notAfter, TagMarkerMemoryOnly);
                }
            }
        }

        public FusionCacheEntryOptions Entry { get; }

        public FusionCacheEntryOptions MemoryOnly { get; }

        /// <summary>The options of a value the factory loaded: stored in both tiers, not announced on the backplane.</summary>
        public FusionCacheEntryOptions Load { get; }

        /// <summary>The options of a miss while reading Redis does not pay: memory only.</summary>
        public FusionCacheEntryOptions LoadMemoryOnly { get; }

        /// <summary>The options of writing such a miss's value to Redis, in the background.</summary>
        public FusionCacheEntryOptions WriteBehind { get; }

        /// <summary>The options of writing a null behind (<see cref="CacheStrategy.CacheNulls"/>).</summary>
        public FusionCacheEntryOptions NullWriteBehind { get; }

        /// <summary>Whether a null result is cached (briefly).</summary>
        public bool CachesNulls { get; }

        /// <summary>
        /// Turns a loaded entry's options into a null's: not stored at all, or when the strategy caches
        /// nulls, stored for <see cref="CacheStrategy.NullDuration"/> without fail-safe (a row that
        /// appears must show up soon, and an absence is no value to fall back on).
        /// </summary>
        public void Null(FusionCacheEntryOptions options)
        {
            if (!CachesNulls)
            {
                options.SkipMemoryCacheWrite = true;
                options.SkipDistributedCacheWrite = true;
                return;
            }

            options.Duration = _nullDuration;
            options.MemoryCacheDuration = null;
            options.IsFailSafeEnabled = false;
            options.FailSafeMaxDuration = _nullDuration;
        }

        /// <summary>Whether misses go to Redis; null when there is no Redis or the strategy always uses it.</summary>
        public RedisTierGovernor? Redis { get; }

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
