namespace PgOptimizer.Caching;

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
