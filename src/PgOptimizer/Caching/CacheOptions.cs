using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Caching;

/// <summary>Settings of the two-tier cache.</summary>
public sealed class CacheOptions : IValidatableObject
{
    /// <summary>The strategies by name; the defaults are <see cref="CacheStrategies.Defaults"/>.</summary>
    public Dictionary<string, CacheStrategy> Strategies { get; set; } = CacheStrategies.Defaults();

    /// <summary>Entries the memory tier holds across all strategies (each strategy gets its MemoryShare). Default <see cref="CacheDefaults.MemoryEntryLimit"/>: a tenth of the process's available memory at 4 KB an entry (10,000–2,000,000).</summary>
    [Range(100, 100_000_000)]
    public long MemoryEntryLimit { get; set; } = CacheDefaults.MemoryEntryLimit;

    /// <summary>
    /// Prefix of every Redis key and backplane channel. Default "pgopt:{application}:cache:"
    /// (<see cref="Connections.RedisOptions.ApplicationName"/>), so that two applications sharing one
    /// Redis never read each other's entries under the same key.
    /// </summary>
    [MinLength(1)]
    public string? KeyPrefix { get; set; }

    /// <summary>
    /// The database this cache's values come from, recorded in Redis under <see cref="KeyPrefix"/>
    /// so that two databases whose caches share a prefix are noticed (logged, and Degraded in the
    /// cache's health check) before one serves the other's rows. Default: derived from the primary's
    /// connection string (a Neon endpoint by its id, another server by host and port, then the
    /// database; never the user or password). Instances that reach one database by different host
    /// names (a DNS alias and an address, PgBouncer and the server) set the same value here.
    /// </summary>
    [MaxLength(200)]
    public string? DatabaseScope { get; set; }

    /// <summary>How often the database scope is recorded again and the others read (tests shorten it).</summary>
    internal TimeSpan DatabaseScopeInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Values at least this large (serialized bytes) are compressed in strategies with Compress. Default 1 KiB.</summary>
    [Range(0, int.MaxValue)]
    public int CompressionThreshold { get; set; } = CacheDefaults.CompressionThreshold;

    /// <summary>Use Redis as the second tier and backplane when Redis is configured. Default true.</summary>
    public bool UseRedis { get; set; } = true;

    /// <summary>
    /// Longest a caller waits for Redis before going on without it (a write then completes in the
    /// background); Redis's own timeout (<see cref="Connections.RedisOptions.Timeout"/>, default 2 s)
    /// bounds every call anyway, and after a failure the circuit breaker skips Redis for
    /// <see cref="DistributedCircuitBreakDuration"/>. Default null: no timer of the cache's own,
    /// which would cost every Redis call a timer and two cancellation sources.
    /// </summary>
    [DurationRange("00:00:00.001")]
    public TimeSpan? DistributedSoftTimeout { get; set; }

    /// <summary>
    /// Finish Redis writes and backplane messages in the background so callers do not wait for them.
    /// Default true; short-lived processes (the CLI) turn it off so nothing is lost at exit.
    /// </summary>
    public bool BackgroundDistributedOperations { get; set; } = true;

    /// <summary>
    /// Give FusionCache its own logger (detailed diagnostics). Off by default: with a logger it
    /// allocates an operation id on every call, memory hits included; the events an operator needs
    /// (Redis tier or backplane lost and back, stale values served) are logged by PgOptimizer anyway.
    /// </summary>
    public bool FusionCacheLogging { get; set; }

    /// <summary>
    /// Serve hits on values this instance loaded from a near cache in front of FusionCache: one
    /// lookup, a clock read and a version check per tag, instead of FusionCache's memory-tier read with
    /// its expiry and tag-marker lookups (about a quarter of the time). Every invalidation — of a key,
    /// a tag or a strategy, on this instance or another through the backplane — bumps a version the
    /// entry was stored with, so nothing is served that FusionCache would not serve. Default true.
    /// </summary>
    public bool NearCache { get; set; } = true;

    /// <summary>After a Redis failure, how long the cache stops trying it. Default 2 s.</summary>
    [DurationRange("00:00:00")]
    public TimeSpan DistributedCircuitBreakDuration { get; set; } = CacheDefaults.DistributedCircuitBreakDuration;

    /// <summary>Tables whose commits invalidate entries (needs <c>pgopt cache triggers install</c>). Default none.</summary>
    public IList<TableInvalidation> Tables { get; set; } = [];

    /// <summary>NOTIFY channel of the triggers. Default "pgopt_cache".</summary>
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "Channel must be a lower-case identifier (letters, digits, _), at most 63 characters.")]
    public string Channel { get; set; } = CacheDefaults.Channel;

    /// <summary>
    /// Connection string for the LISTEN connection. Default: the primary's. LISTEN needs a direct
    /// connection: it does not work through PgBouncer in transaction mode (Neon's -pooler host).
    /// </summary>
    public string? ListenConnectionString { get; set; }

    /// <summary>Run the registered warm-up items when the host starts. Default true.</summary>
    public bool WarmupOnStart { get; set; } = true;

    /// <summary>Warm-up factories run at once. Default 4.</summary>
    [Range(1, 256)]
    public int WarmupConcurrency { get; set; } = CacheDefaults.WarmupConcurrency;

    /// <summary>Rules beyond the attributes: strategy names, each strategy, and the tables' strategies.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (Strategies.Count == 0)
        {
            yield return new ValidationResult("Caching needs at least one strategy.", [nameof(Strategies)]);
        }

        var strategies = new CacheStrategyValidator();
        foreach (var (name, strategy) in Strategies)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains(':', StringComparison.Ordinal))
            {
                yield return new ValidationResult($"Cache strategy name '{name}' must be non-empty and contain no ':'.", [nameof(Strategies)]);
            }

            foreach (var failure in strategies.Item("Cache strategy", name, strategy))
            {
                yield return failure;
            }
        }

        foreach (var t in Tables)
        {
            if (string.IsNullOrWhiteSpace(t.Table))
            {
                yield return new ValidationResult("A cache invalidation table needs a Table name.", [nameof(Tables)]);
            }

            foreach (var s in t.Strategies.Where(s => !Strategies.ContainsKey(s)))
            {
                yield return new ValidationResult($"Cache invalidation of table '{t.Table}' names strategy '{s}', which is not defined ({string.Join(", ", Strategies.Keys)}).", [nameof(Tables)]);
            }
        }
    }

    internal void Validate() => new CacheOptionsValidator().ThrowIfInvalid(this, "Cache");
}

/// <summary>Checks <see cref="CacheOptions"/> (generated from its attributes and rules).</summary>
[OptionsValidator]
internal sealed partial class CacheOptionsValidator : IValidateOptions<CacheOptions>;
