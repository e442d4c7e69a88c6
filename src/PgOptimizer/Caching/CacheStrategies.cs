namespace PgOptimizer.Caching;

/// <summary>
/// The preset strategies, tuned for the data a typical SaaS application caches. An application adds
/// its own to <see cref="CacheOptions.Strategies"/>.
/// </summary>
public static class CacheStrategies
{
    /// <summary>A user's profile: 5 min, 15 % of the memory tier.</summary>
    public const string UserProfile = "user_profile";

    /// <summary>One item's page (a pitch, a product): 10 min, compressed in Redis, 25 % of the memory tier.</summary>
    public const string PitchDetails = "pitch_details";

    /// <summary>Trending lists: 2 min, 5 % of the memory tier.</summary>
    public const string TrendingData = "trending_data";

    /// <summary>Search results: 3 min, compressed in Redis, 15 % of the memory tier.</summary>
    public const string SearchResults = "search_results";

    /// <summary>Dashboard totals: 5 min, 5 % of the memory tier.</summary>
    public const string DashboardMetrics = "dashboard_metrics";

    /// <summary>A new dictionary of the presets (fail-safe 1 h, factory soft timeout 1 s, as <see cref="CacheDefaults"/>).</summary>
    public static Dictionary<string, CacheStrategy> Defaults() => new(StringComparer.Ordinal)
    {
        [UserProfile] = new() { Duration = TimeSpan.FromMinutes(5), MemoryShare = 0.15 },
        [PitchDetails] = new() { Duration = TimeSpan.FromMinutes(10), Compress = true, MemoryShare = 0.25 },
        [TrendingData] = new() { Duration = TimeSpan.FromMinutes(2), MemoryShare = 0.05 },
        [SearchResults] = new() { Duration = TimeSpan.FromMinutes(3), Compress = true, MemoryShare = 0.15 },
        [DashboardMetrics] = new() { Duration = TimeSpan.FromMinutes(5), MemoryShare = 0.05 },
    };
}
