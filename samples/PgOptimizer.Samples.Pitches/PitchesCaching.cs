using PgOptimizer.Caching;

namespace PgOptimizer.Samples.Pitches;

/// <summary>
/// The cache strategies the pitch platform needs beside the library's presets
/// (<see cref="CacheStrategies"/>): feeds, comments and unread counts.
/// </summary>
public static class PitchesCaching
{
    /// <summary>Feeds and a user's pitch lists: 1 min, 30 s in memory so instances re-read Redis sooner.</summary>
    public const string UserFeed = "user_feed";

    /// <summary>Comments under a pitch: 2 min.</summary>
    public const string PitchComments = "pitch_comments";

    /// <summary>Notification and inbox counts: 30 s, stale for at most 5 min when the database fails.</summary>
    public const string UnreadCounts = "unread_counts";

    /// <summary>Adds the platform's strategies to the cache options (the presets stay).</summary>
    public static void AddStrategies(CacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Strategies.TryAdd(UserFeed, new() { Duration = TimeSpan.FromMinutes(1), MemoryDuration = TimeSpan.FromSeconds(30), MemoryShare = 0.15 });
        options.Strategies.TryAdd(PitchComments, new() { Duration = TimeSpan.FromMinutes(2), MemoryShare = 0.15 });
        options.Strategies.TryAdd(UnreadCounts, new() { Duration = TimeSpan.FromSeconds(30), MemoryShare = 0.05, FailSafeMaxDuration = TimeSpan.FromMinutes(5) });
    }
}
