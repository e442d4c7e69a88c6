using System.ComponentModel.DataAnnotations;

namespace PgOptimizer.Caching;

/// <summary>
/// One caching strategy: how long entries live, whether they are compressed in Redis, the share of
/// the memory tier they may use, how long a stale value may be served when the factory fails, and
/// tags every entry of the strategy carries.
/// </summary>
public sealed class CacheStrategy
{
    /// <summary>Lifetime of an entry (both tiers unless <see cref="MemoryDuration"/> is set).</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Shorter lifetime in the memory tier, so instances re-read Redis sooner. Default: <see cref="Duration"/>.</summary>
    public TimeSpan? MemoryDuration { get; set; }

    /// <summary>LZ4-compress values above <see cref="CacheOptions.CompressionThreshold"/> in Redis.</summary>
    public bool Compress { get; set; }

    /// <summary>Share (0–1] of <see cref="CacheOptions.MemoryEntryLimit"/> this strategy's memory tier may hold.</summary>
    [Range(0.001, 1.0)]
    public double MemoryShare { get; set; } = 0.1;

    /// <summary>
    /// How long after expiry a value may still be served when the factory fails or times out
    /// (fail-safe). Zero disables it. Default 1 h.
    /// </summary>
    public TimeSpan FailSafeMaxDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After this long a slow factory is abandoned in favour of a stale value, when one exists. Default 1 s.</summary>
    public TimeSpan FactorySoftTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Tags every entry of this strategy carries, besides the caller's.</summary>
    public IList<string> Tags { get; set; } = [];

    internal void Validate(string name)
    {
        if (Duration <= TimeSpan.Zero)
        {
            throw new PgOptimizerConfigurationException($"Cache strategy '{name}': Duration must be positive (got {Duration}).");
        }

        if (MemoryDuration is { } m && (m <= TimeSpan.Zero || m > Duration))
        {
            throw new PgOptimizerConfigurationException($"Cache strategy '{name}': MemoryDuration must be positive and at most Duration ({Duration}).");
        }

        if (MemoryShare is <= 0 or > 1)
        {
            throw new PgOptimizerConfigurationException($"Cache strategy '{name}': MemoryShare must be in (0, 1] (got {MemoryShare}).");
        }
    }
}

/// <summary>The predefined strategies: the specification's five and three the demo application needs.</summary>
public static class CacheStrategies
{
    public const string UserProfile = "user_profile";
    public const string PitchDetails = "pitch_details";
    public const string TrendingData = "trending_data";
    public const string SearchResults = "search_results";
    public const string DashboardMetrics = "dashboard_metrics";
    public const string UserFeed = "user_feed";
    public const string PitchComments = "pitch_comments";
    public const string UnreadCounts = "unread_counts";

    public static Dictionary<string, CacheStrategy> Defaults() => new(StringComparer.Ordinal)
    {
        [UserProfile] = new() { Duration = TimeSpan.FromMinutes(5), MemoryShare = 0.15 },
        [PitchDetails] = new() { Duration = TimeSpan.FromMinutes(10), Compress = true, MemoryShare = 0.25 },
        [TrendingData] = new() { Duration = TimeSpan.FromMinutes(2), MemoryShare = 0.05 },
        [SearchResults] = new() { Duration = TimeSpan.FromMinutes(3), Compress = true, MemoryShare = 0.15 },
        [DashboardMetrics] = new() { Duration = TimeSpan.FromMinutes(5), MemoryShare = 0.05 },
        [UserFeed] = new() { Duration = TimeSpan.FromMinutes(1), MemoryDuration = TimeSpan.FromSeconds(30), MemoryShare = 0.15 },
        [PitchComments] = new() { Duration = TimeSpan.FromMinutes(2), MemoryShare = 0.15 },
        [UnreadCounts] = new() { Duration = TimeSpan.FromSeconds(30), MemoryShare = 0.05, FailSafeMaxDuration = TimeSpan.FromMinutes(5) },
    };
}

/// <summary>
/// A table whose changes invalidate cache entries: the trigger sends <see cref="Columns"/> of each
/// changed row; every template in <see cref="Tags"/> (e.g. <c>pitch:{id}</c>) becomes a tag to
/// invalidate; after the listener reconnects (notifications may have been missed) the
/// <see cref="Strategies"/> are cleared wholesale.
/// </summary>
public sealed class TableInvalidation
{
    /// <summary>Table name, optionally schema-qualified (default schema public).</summary>
    public string Table { get; set; } = "";

    /// <summary>Columns sent with each change. Default: the primary key.</summary>
    public IList<string> Columns { get; set; } = [];

    /// <summary>Tag templates with {column} placeholders.</summary>
    public IList<string> Tags { get; set; } = [];

    /// <summary>
    /// The strategies that cache this table's rows: its tags are invalidated there (in every strategy
    /// when empty), and they are cleared wholesale after the listener reconnects.
    /// </summary>
    public IList<string> Strategies { get; set; } = [];
}

/// <summary>Settings of the two-tier cache.</summary>
public sealed class CacheOptions
{
    /// <summary>The strategies by name; the defaults are <see cref="CacheStrategies.Defaults"/>.</summary>
    public Dictionary<string, CacheStrategy> Strategies { get; set; } = CacheStrategies.Defaults();

    /// <summary>Entries the memory tier holds across all strategies (each strategy gets its MemoryShare). Default 100,000.</summary>
    [Range(100, 100_000_000)]
    public long MemoryEntryLimit { get; set; } = 100_000;

    /// <summary>Prefix of every Redis key and backplane channel. Default "pgopt:cache:".</summary>
    public string KeyPrefix { get; set; } = "pgopt:cache:";

    /// <summary>Values at least this large (serialized bytes) are compressed in strategies with Compress. Default 1 KiB.</summary>
    [Range(0, int.MaxValue)]
    public int CompressionThreshold { get; set; } = 1024;

    /// <summary>Use Redis as the second tier and backplane when Redis is configured. Default true.</summary>
    public bool UseRedis { get; set; } = true;

    /// <summary>Longest a caller waits for Redis before going on without it (the write completes in the background). Default 250 ms.</summary>
    public TimeSpan DistributedSoftTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

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

    /// <summary>After a Redis failure, how long the cache stops trying it. Default 2 s.</summary>
    public TimeSpan DistributedCircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Tables whose commits invalidate entries (needs <c>pgopt cache triggers install</c>).</summary>
    public IList<TableInvalidation> Tables { get; set; } = [];

    /// <summary>NOTIFY channel of the triggers. Default "pgopt_cache".</summary>
    public string Channel { get; set; } = "pgopt_cache";

    /// <summary>
    /// Connection string for the LISTEN connection. Default: the primary's. LISTEN needs a direct
    /// connection: it does not work through PgBouncer in transaction mode (Neon's -pooler host).
    /// </summary>
    public string? ListenConnectionString { get; set; }

    /// <summary>Run the registered warm-up items when the host starts. Default true.</summary>
    public bool WarmupOnStart { get; set; } = true;

    /// <summary>Warm-up factories run at once. Default 4.</summary>
    [Range(1, 256)]
    public int WarmupConcurrency { get; set; } = 4;

    internal void Validate()
    {
        if (Strategies.Count == 0)
        {
            throw new PgOptimizerConfigurationException("Caching needs at least one strategy.");
        }

        foreach (var (name, strategy) in Strategies)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains(':', StringComparison.Ordinal))
            {
                throw new PgOptimizerConfigurationException($"Cache strategy name '{name}' must be non-empty and contain no ':'.");
            }

            strategy.Validate(name);
        }

        if (string.IsNullOrWhiteSpace(KeyPrefix))
        {
            throw new PgOptimizerConfigurationException("Caching KeyPrefix must not be empty.");
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(Channel, "^[a-z_][a-z0-9_]{0,62}$"))
        {
            throw new PgOptimizerConfigurationException($"Caching Channel '{Channel}' must be a lower-case identifier (letters, digits, _).");
        }

        foreach (var t in Tables)
        {
            if (string.IsNullOrWhiteSpace(t.Table))
            {
                throw new PgOptimizerConfigurationException("A cache invalidation table needs a Table name.");
            }

            foreach (var s in t.Strategies.Where(s => !Strategies.ContainsKey(s)))
            {
                throw new PgOptimizerConfigurationException($"Cache invalidation of table '{t.Table}' names strategy '{s}', which is not defined ({string.Join(", ", Strategies.Keys)}).");
            }
        }
    }
}
