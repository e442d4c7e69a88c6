using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Samples.Pitches;

/// <summary>
/// The pitch platform's operations as parameterized SQL, with parameters drawn with the same skew
/// as the seeded data (popular users and pitches are asked for most). Mostly reads (88 %).
/// </summary>
public sealed class PitchesWorkload : IWorkload
{
    private static readonly string[] Statuses = ["active", "active", "active", "draft", "archived"];
    private static readonly string[] SearchTerms =
    [
        "ai platform", "climate", "fintech payments", "health data", "solar battery", "logistics", "education",
        "robotics automation", "marketplace", "security privacy", "genomics", "electric vehicle", "carbon", "gaming",
    ];

    private static readonly string[] EventTypes = ["page_view", "page_view", "pitch_view", "pitch_view", "search", "share", "like"];

    public PitchesWorkload(DemoKeySpace keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Keys = keys;
        var activeUsers = new ZipfSampler(keys.Users, 0.7);   // who acts (authors, likers): milder skew
        var popularUsers = new ZipfSampler(keys.Users, 1.0);  // whose profile is viewed
        var popularPitches = new ZipfSampler(keys.Pitches, 1.0);
        var feedDepth = new ZipfSampler(10_000);             // how far back readers page, in minutes
        var anchor = keys.Anchor.UtcDateTime;

        Operations =
        [
            // Reads
            new("login_by_email", DbIntent.Read,
                "SELECT id, password_hash, role FROM users WHERE email = $1 AND is_active",
                8, r => [Email(r.Zipf(activeUsers))]) { Description = "sign-in: look up an active user by e-mail" },
            new("user_profile", DbIntent.Read,
                "SELECT u.id, u.username, u.display_name, u.created_at, (SELECT count(*) FROM follows f WHERE f.followee_id = u.id) AS followers FROM users u WHERE u.id = $1",
                10, r => [(int)r.Zipf(popularUsers)]) { Description = "profile page with follower count" , Cache = Cached(CacheStrategies.UserProfile, a => $"user:{a[0]}:profile", a => [$"user:{a[0]}"]) },
            new("public_feed", DbIntent.Read,
                "SELECT id, user_id, title, category, published_at FROM pitches WHERE status = 'active' AND visibility = 'public' AND published_at < $1 ORDER BY published_at DESC LIMIT 20",
                15, r => [anchor.AddMinutes(-r.Zipf(feedDepth))]) { Description = "public feed, newest first, keyset paging" , Cache = Cached(PitchesCaching.UserFeed, a => $"feed:{Minute(a[0])}", a => FeedTags(a[0], anchor)) },
            new("user_pitches_by_status", DbIntent.Read,
                "SELECT id, title, status, published_at FROM pitches WHERE user_id = $1 AND status = $2 ORDER BY published_at DESC LIMIT 20",
                10, r => [(int)r.Zipf(activeUsers), r.Pick(Statuses)]) { Description = "a user's pitches by status (dashboard list)" , Cache = Cached(PitchesCaching.UserFeed, a => $"user:{a[0]}:pitches:{a[1]}", a => [$"user:{a[0]}:pitches"]) },
            new("pitch_detail", DbIntent.Read,
                "SELECT p.id, p.title, p.body, p.status, p.metadata, p.view_count, p.like_count, u.username FROM pitches p JOIN users u ON u.id = p.user_id WHERE p.id = $1",
                20, r => [r.Zipf(popularPitches)]) { Description = "pitch page" , Cache = Cached(CacheStrategies.PitchDetails, a => $"pitch:{a[0]}:details", a => [$"pitch:{a[0]}"]) },
            new("pitch_comments", DbIntent.Read,
                "SELECT c.id, c.user_id, c.body, c.created_at FROM comments c WHERE c.pitch_id = $1 AND NOT c.is_deleted ORDER BY c.created_at DESC LIMIT 20",
                8, r => [r.Zipf(popularPitches)]) { Description = "comments under a pitch" , Cache = Cached(PitchesCaching.PitchComments, a => $"pitch:{a[0]}:comments", a => [$"pitch:{a[0]}:comments"]) },
            new("search_pitches", DbIntent.Read,
                "SELECT id, title, published_at FROM pitches WHERE status = 'active' AND to_tsvector('english', title || ' ' || body) @@ plainto_tsquery('english', $1) ORDER BY published_at DESC LIMIT 20",
                2, r => [r.Pick(SearchTerms)]) { Description = "full-text search over titles and bodies" , Cache = Cached(CacheStrategies.SearchResults, a => CacheKeys.GetSearchKey((string)a[0]!), _ => ["search"]) },
            new("trending_pitches", DbIntent.Read,
                "SELECT pitch_id, count(*) AS views FROM analytics_events WHERE event_type = 'pitch_view' AND created_at >= $1 GROUP BY pitch_id ORDER BY views DESC LIMIT 10",
                2, r => [anchor.AddHours(-1)]) { Description = "trending: most viewed pitches in the last hour" , Cache = Cached(CacheStrategies.TrendingData, a => $"trending:{Minute(a[0])}", _ => ["trending"]) },
            new("dashboard_counts", DbIntent.Read,
                "SELECT count(*) FILTER (WHERE status = 'active') AS active, count(*) FILTER (WHERE status = 'draft') AS drafts, coalesce(sum(view_count), 0) AS views, coalesce(sum(like_count), 0) AS likes FROM pitches WHERE user_id = $1",
                5, r => [(int)r.Zipf(activeUsers)]) { Description = "creator dashboard totals" , Cache = Cached(CacheStrategies.DashboardMetrics, a => $"dashboard:{a[0]}", a => [$"user:{a[0]}:pitches"]) },
            new("unread_notifications", DbIntent.Read,
                "SELECT id, kind, payload, created_at FROM notifications WHERE user_id = $1 AND read_at IS NULL ORDER BY created_at DESC LIMIT 20",
                5, r => [(int)r.Zipf(activeUsers)]) { Description = "notification bell" , Cache = Cached(PitchesCaching.UnreadCounts, a => $"user:{a[0]}:notifications", a => [$"user:{a[0]}:notifications"]) },
            new("inbox", DbIntent.Read,
                "SELECT id, sender_id, body, created_at, read_at FROM messages WHERE recipient_id = $1 ORDER BY created_at DESC LIMIT 20",
                3, r => [(int)r.Zipf(activeUsers)]) { Description = "message inbox" , Cache = Cached(PitchesCaching.UnreadCounts, a => $"user:{a[0]}:inbox", a => [$"user:{a[0]}:inbox"]) },

            // Writes
            new("create_pitch", DbIntent.Write,
                "INSERT INTO pitches (tenant_id, user_id, title, body, status, visibility, category, funding_goal, metadata, created_at, updated_at, published_at) " +
                "SELECT u.tenant_id, u.id, $2, $3, 'active', 'public', $4, 250000, '{\"stage\": \"idea\"}', now(), now(), now() FROM users u WHERE u.id = $1 RETURNING id",
                1, r => [(int)r.Zipf(activeUsers), "New " + r.Pick(SearchTerms) + " venture", "A fresh pitch about " + r.Pick(SearchTerms) + ".", "ai"]) { Description = "publish a pitch" , Invalidates = new(a => [$"user:{a[0]}:pitches", "feed:head"], [PitchesCaching.UserFeed, CacheStrategies.DashboardMetrics]) },
            new("update_pitch", DbIntent.Write,
                "UPDATE pitches SET title = $2, updated_at = now() WHERE id = $1",
                2, r => [r.Zipf(popularPitches), "Updated: " + r.Pick(SearchTerms)], Idempotent: true) { Description = "edit a pitch title" , Invalidates = new(a => [$"pitch:{a[0]}"], [CacheStrategies.PitchDetails]) },
            new("track_event", DbIntent.Write,
                "INSERT INTO analytics_events (event_type, user_id, pitch_id, properties, created_at) VALUES ($1, $2, $3, '{\"source\": \"web\"}', now())",
                5, r => [r.Pick(EventTypes), (int)r.Zipf(activeUsers), r.Zipf(popularPitches)]) { Description = "record an analytics event" },
            new("like_pitch", DbIntent.Write,
                LikeSql,
                2, r => [(int)r.Zipf(activeUsers), r.Zipf(popularPitches)], Idempotent: true) { Description = "like a pitch (once per user; counted on the pitch)" , Invalidates = new(a => [$"pitch:{a[1]}"], [CacheStrategies.PitchDetails]) },
            new("add_comment", DbIntent.Write,
                "INSERT INTO comments (pitch_id, user_id, body, created_at) VALUES ($1, $2, $3, now())",
                1, r => [r.Zipf(popularPitches), (int)r.Zipf(activeUsers), "Interesting take on " + r.Pick(SearchTerms) + "."]) { Description = "comment on a pitch" , Invalidates = new(a => [$"pitch:{a[0]}:comments"], [PitchesCaching.PitchComments]) },
            new("send_message", DbIntent.Write,
                "INSERT INTO messages (sender_id, recipient_id, body, created_at) VALUES ($1, $2, $3, now())",
                1, r => [(int)r.Zipf(activeUsers), (int)r.Zipf(popularUsers), "Can we talk about " + r.Pick(SearchTerms) + "?"]) { Description = "send a direct message" , Invalidates = new(a => [$"user:{a[1]}:inbox"], [PitchesCaching.UnreadCounts]) },
        ];
    }

    /// <summary>
    /// A like, once per user and pitch, counted on the pitch the page shows: one statement, so the
    /// like and its count commit together; a repeated like changes nothing (0 rows) and is safe to
    /// retry.
    /// </summary>
    public const string LikeSql =
        "WITH liked AS (INSERT INTO likes (user_id, pitch_id, created_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING RETURNING pitch_id) " +
        "UPDATE pitches SET like_count = like_count + 1 WHERE id IN (SELECT pitch_id FROM liked)";

    public string Name => "pitches";

    /// <summary>The workload of the demo data in a database.</summary>
    /// <exception cref="PgOptimizerConfigurationException">The database holds no demo data.</exception>
    public static async Task<PitchesWorkload> LoadAsync(Npgsql.NpgsqlDataSource dataSource, string target, CancellationToken cancellationToken = default)
    {
        var keys = await PitchesDemo.ReadKeySpaceAsync(dataSource, cancellationToken).ConfigureAwait(false)
            ?? throw new PgOptimizerConfigurationException($"The database {target} has no demo data. Run 'pgopt seed --scale 0.1' (or 'pgopt demo') first.");
        return new PitchesWorkload(keys);
    }

    public DemoKeySpace Keys { get; }

    public IReadOnlyList<WorkloadOperation> Operations { get; }

    /// <summary>A worker's random source, anchored at the data's "now".</summary>
    public WorkloadRandom CreateRandom(int seed) => new(seed, Keys.Anchor);

    private static OperationCaching Cached(string strategy, Func<object?[], string> key, Func<object?[], string[]> tags) => new(strategy, key, tags);

    /// <summary>
    /// A keyset page holds pitches published before its cursor, so a new pitch can only enter pages
    /// whose cursor is at or after its publication: the head of the feed (cursors within
    /// <see cref="FeedHead"/> of the data's "now"). Only those carry the tag a new pitch invalidates;
    /// older pages change only by edits, which their one-minute lifetime bounds.
    /// </summary>
    private static string[] FeedTags(object? cursor, DateTime now) =>
        cursor is DateTime t && now - t <= FeedHead ? ["feed", "feed:head"] : ["feed"];

    private static readonly TimeSpan FeedHead = TimeSpan.FromMinutes(5);

    private static string Minute(object? time) => time is DateTime t ? t.ToString("yyyyMMddHHmm", System.Globalization.CultureInfo.InvariantCulture) : Convert.ToString(time, System.Globalization.CultureInfo.InvariantCulture) ?? "";

    private static string Email(long userId) =>
        $"user{userId}@{(userId % 4) switch { 0 => "example.com", 1 => "pitchmail.io", 2 => "acme.dev", _ => "startup.co" }}";
}
