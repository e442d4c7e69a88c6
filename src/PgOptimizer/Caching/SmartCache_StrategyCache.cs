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
            // No CacheKeyPrefix: FusionCache would concatenate it onto every key, memory hits included.
            // Each strategy has its own memory tier; Redis keys get the prefix from InstanceName.
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
            // With a logger FusionCache allocates an operation id per call, memory hits included: by
            // default it gets none, and what an operator needs is logged here from its events.
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
