using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Caching;

/// <summary>
/// One caching strategy: how long entries live, whether they are compressed in Redis, the share of
/// the memory tier they may use, how long a stale value may be served when the factory fails, and
/// tags every entry of the strategy carries.
/// </summary>
public sealed class CacheStrategy : IValidatableObject
{
    /// <summary>Lifetime of an entry (both tiers unless <see cref="MemoryDuration"/> is set). Default 5 min.</summary>
    [DurationRange("00:00:00.001")]
    public TimeSpan Duration { get; set; } = CacheDefaults.Duration;

    /// <summary>Shorter lifetime in the memory tier, so instances re-read Redis sooner. Default: <see cref="Duration"/>.</summary>
    [DurationRange("00:00:00.001")]
    public TimeSpan? MemoryDuration { get; set; }

    /// <summary>LZ4-compress values above <see cref="CacheOptions.CompressionThreshold"/> in Redis. Default false.</summary>
    public bool Compress { get; set; }

    /// <summary>Share (0–1] of <see cref="CacheOptions.MemoryEntryLimit"/> this strategy's memory tier may hold. Default 0.1.</summary>
    [Range(0.001, 1.0)]
    public double MemoryShare { get; set; } = CacheDefaults.MemoryShare;

    /// <summary>
    /// How long after expiry a value may still be served when the factory fails or times out
    /// (fail-safe). Zero disables it. Default 1 h.
    /// </summary>
    [DurationRange("00:00:00")]
    public TimeSpan FailSafeMaxDuration { get; set; } = CacheDefaults.FailSafeMaxDuration;

    /// <summary>After this long a slow factory is abandoned in favour of a stale value, when one exists. Default 1 s.</summary>
    [DurationRange("00:00:00.001")]
    public TimeSpan FactorySoftTimeout { get; set; } = CacheDefaults.FactorySoftTimeout;

    /// <summary>
    /// Let the strategy stop reading Redis on its misses while Redis costs them more time
    /// than the queries it saves (measured per window of <see cref="CacheDefaults.RedisWindow"/>
    /// misses; re-measured every <see cref="RedisProbeInterval"/>). Default true. Turn it off for
    /// a strategy whose values must be shared across instances even at a loss, e.g. expensive
    /// values loaded by one instance and read by many.
    /// </summary>
    public bool AdaptiveRedis { get; set; } = true;

    /// <summary>How long misses skip Redis once it did not pay, before it is measured again. Default 1 min.</summary>
    [DurationRange("00:00:01", "1.00:00:00")]
    public TimeSpan RedisProbeInterval { get; set; } = CacheDefaults.RedisProbeInterval;

    /// <summary>
    /// Cache a null result (a row not found) for <see cref="NullDuration"/>. Default false: an
    /// absence is not cached, so a row inserted later is found by the next read. Turn it on for
    /// lookups that are often absent and costly to repeat (a negative cache), where a short delay
    /// before a new row is seen is acceptable.
    /// </summary>
    public bool CacheNulls { get; set; }

    /// <summary>How long a null result is cached when <see cref="CacheNulls"/> is on. Default 10 s.</summary>
    [DurationRange("00:00:00.001", "01:00:00")]
    public TimeSpan NullDuration { get; set; } = CacheDefaults.NullDuration;

    /// <summary>Tags every entry of this strategy carries, besides the caller's. Default none.</summary>
    public IList<string> Tags { get; set; } = [];

    /// <summary>The memory tier may not keep an entry longer than Redis does.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (MemoryDuration is { } m && m > Duration)
        {
            yield return new ValidationResult($"MemoryDuration ({m}) must be at most Duration ({Duration}).", [nameof(MemoryDuration)]);
        }
    }
}

/// <summary>Checks one <see cref="CacheStrategy"/> (generated from its attributes and rules).</summary>
[OptionsValidator]
internal sealed partial class CacheStrategyValidator : IValidateOptions<CacheStrategy>;
