using Npgsql;
using PgOptimizer.AspNetCore;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
using PgOptimizer.LoadTesting;

namespace PgOptimizer.Samples.Api;

/// <summary>
/// The pitch platform's API. <c>/pitches/{id}</c>, <c>/feed</c> and <c>/pitches/{id}/comments</c> read
/// through the cache and the connection manager; <c>/raw/...</c> run the same SQL on a plain Npgsql
/// data source with the same pool (and, with replicas, Npgsql's own multi-host load balancing), for
/// comparison. Likes and title changes write through the manager and invalidate the pitch's tag (a
/// like only when it counted: a user's second like of a pitch changes nothing).
/// </summary>
public static class PitchApi
{
    private const string DetailSql = "SELECT p.id, p.title, p.body, p.status, p.view_count, p.like_count, u.username FROM pitches p JOIN users u ON u.id = p.user_id WHERE p.id = $1";
    private const string FeedSql = "SELECT id, user_id, title, category, published_at FROM pitches WHERE status = 'active' AND visibility = 'public' AND published_at < $1 ORDER BY published_at DESC LIMIT 20";
    // The like and the pitch's count in one statement, so they commit together; a repeated like inserts
    // nothing and counts nothing (0 rows), which also makes a retry harmless.
    private const string LikeSql =
        "WITH liked AS (INSERT INTO likes (user_id, pitch_id, created_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING RETURNING pitch_id) " +
        "UPDATE pitches SET like_count = like_count + 1 WHERE id IN (SELECT pitch_id FROM liked)";
    private const string CommentsSql = "SELECT c.id, c.user_id, c.body, c.created_at FROM comments c WHERE c.pitch_id = $1 AND NOT c.is_deleted ORDER BY c.created_at DESC LIMIT 20";

    /// <summary>Builds the application; <paramref name="configure"/> lets tests change the builder before it is built.</summary>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Its own directory as content root, wherever it is started from: there are its
        // appsettings.json, and the configuration watcher then watches that directory only (from a
        // project root it would watch the whole tree, a local database's data directory included).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddPgOptimizer(builder.Configuration);
        builder.Services.PostConfigure<CacheOptions>(o =>
        {
            o.Strategies.TryAdd("pitch_comments", new CacheStrategy { Duration = TimeSpan.FromMinutes(2), MemoryShare = 0.15 });
            o.Strategies.TryAdd("user_feed", new CacheStrategy { Duration = TimeSpan.FromMinutes(1), MemoryDuration = TimeSpan.FromSeconds(30), MemoryShare = 0.15 });
        });
        builder.Services.AddSingleton(sp => RawDatabase.Create(sp.GetRequiredService<PgConnectionManager>()));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapPgOptimizerHealthChecks();   // /health/live, /health/ready
        app.MapPgOptimizerHealth();         // /health/database
        app.MapPgOptimizerMetrics();        // /metrics

        app.MapGet("/pitches/{id:long}", async (long id, SmartCache cache, PgConnectionManager db, CancellationToken ct) =>
            await cache.GetOrReadAsync(db, $"pitch:{id}:details", id, ReadDetailAsync, CacheStrategies.PitchDetails, [$"pitch:{id}"], cancellationToken: ct)
                is { } pitch ? Results.Ok(pitch) : Results.NotFound());

        app.MapGet("/feed", async (DateTime? before, SmartCache cache, PgConnectionManager db, CancellationToken ct) =>
        {
            var cursor = Minute(before ?? DateTime.UtcNow);
            return Results.Ok(await cache.GetOrReadAsync(db, $"feed:{cursor:yyyyMMddHHmm}", cursor, ReadFeedAsync, "user_feed", ["feed"], cancellationToken: ct));
        });

        app.MapGet("/pitches/{id:long}/comments", async (long id, SmartCache cache, PgConnectionManager db, CancellationToken ct) =>
            Results.Ok(await cache.GetOrReadAsync(db, $"pitch:{id}:comments", id, ReadCommentsAsync, "pitch_comments", [$"pitch:{id}:comments"], cancellationToken: ct)));

        app.MapPost("/pitches/{id:long}/likes/{userId:int}", async (long id, int userId, SmartCache cache, PgConnectionManager db, CancellationToken ct) =>
        {
            var added = await db.ExecuteAsync(DbIntent.Write, (id, userId), static async (conn, s, ct) =>
            {
                await using var cmd = new NpgsqlCommand(LikeSql, conn);
                cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = s.userId });
                cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.id });
                return await cmd.ExecuteNonQueryAsync(ct);
            }, PgCallOptions.IdempotentWrite, ct);
            if (added > 0)
            {
                await cache.InvalidateByTagsAsync([$"pitch:{id}"], ct); // the page's like count changed
            }

            return Results.Ok(new { added });
        });

        app.MapPut("/pitches/{id:long}/title", async (long id, TitleChange change, SmartCache cache, PgConnectionManager db, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(change.Title) || change.Title.Length > 200)
            {
                return Results.BadRequest(new { error = "title must be 1-200 characters" });
            }

            var updated = await cache.WriteAndInvalidateAsync(db, (id, change.Title), static async (conn, s, ct) =>
            {
                await using var cmd = new NpgsqlCommand("UPDATE pitches SET title = $2, updated_at = now() WHERE id = $1", conn);
                cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = s.id });
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Title });
                return await cmd.ExecuteNonQueryAsync(ct);
            }, [$"pitch:{id}"], PgCallOptions.IdempotentWrite, ct);
            return updated == 0 ? Results.NotFound() : Results.NoContent();
        });

        // The same reads on plain Npgsql: no cache, no retries, no routing of ours.
        app.MapGet("/raw/pitches/{id:long}", async (long id, RawDatabase raw, CancellationToken ct) =>
        {
            await using var conn = await raw.Reads.OpenConnectionAsync(ct);
            return await ReadDetailAsync(conn, id, ct) is { } pitch ? Results.Ok(pitch) : Results.NotFound();
        });

        app.MapGet("/raw/feed", async (DateTime? before, RawDatabase raw, CancellationToken ct) =>
        {
            await using var conn = await raw.Reads.OpenConnectionAsync(ct);
            return Results.Ok(await ReadFeedAsync(conn, Minute(before ?? DateTime.UtcNow), ct));
        });

        app.MapGet("/raw/pitches/{id:long}/comments", async (long id, RawDatabase raw, CancellationToken ct) =>
        {
            await using var conn = await raw.Reads.OpenConnectionAsync(ct);
            return Results.Ok(await ReadCommentsAsync(conn, id, ct));
        });

        app.MapPost("/raw/pitches/{id:long}/likes/{userId:int}", async (long id, int userId, RawDatabase raw, CancellationToken ct) =>
        {
            await using var cmd = raw.Writes.CreateCommand(LikeSql);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = userId });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            return Results.Ok(new { added = await cmd.ExecuteNonQueryAsync(ct) });
        });

        app.MapPut("/raw/pitches/{id:long}/title", async (long id, TitleChange change, RawDatabase raw, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(change.Title) || change.Title.Length > 200)
            {
                return Results.BadRequest(new { error = "title must be 1-200 characters" });
            }

            await using var cmd = raw.Writes.CreateCommand("UPDATE pitches SET title = $2, updated_at = now() WHERE id = $1");
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = change.Title });
            return await cmd.ExecuteNonQueryAsync(ct) == 0 ? Results.NotFound() : Results.NoContent();
        });

        return app;
    }

    private static DateTime Minute(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);

    private static async ValueTask<PitchDetail?> ReadDetailAsync(NpgsqlConnection conn, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(DetailSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? new PitchDetail(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetString(6))
            : null;
    }

    private static async ValueTask<List<FeedItem>> ReadFeedAsync(NpgsqlConnection conn, DateTime before, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(FeedSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = before });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var items = new List<FeedItem>(20);
        while (await r.ReadAsync(ct))
        {
            items.Add(new FeedItem(r.GetInt64(0), r.GetInt32(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetDateTime(4)));
        }

        return items;
    }

    private static async ValueTask<List<Comment>> ReadCommentsAsync(NpgsqlConnection conn, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(CommentsSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var items = new List<Comment>(20);
        while (await r.ReadAsync(ct))
        {
            items.Add(new Comment(r.GetInt64(0), r.GetInt32(1), r.GetString(2), r.GetDateTime(3)));
        }

        return items;
    }
}

/// <summary>
/// The baseline: plain Npgsql with the manager's pool size; with replicas, Npgsql's own multi-host
/// data source (load balancing on, reads preferring standbys, writes on the primary), as a competent
/// user would configure it.
/// </summary>
public sealed class RawDatabase(NpgsqlDataSource source, NpgsqlDataSource reads, NpgsqlDataSource writes) : IAsyncDisposable
{
    /// <summary>Where reads go.</summary>
    public NpgsqlDataSource Reads { get; } = reads;

    /// <summary>Where writes go.</summary>
    public NpgsqlDataSource Writes { get; } = writes;

    /// <summary>Builds it from the manager's endpoints and pool size.</summary>
    public static RawDatabase Create(PgConnectionManager manager)
    {
        var source = RawNpgsqlExecutor.BuildDataSource(manager);
        return source is NpgsqlMultiHostDataSource multi
            ? new RawDatabase(source, multi.WithTargetSession(TargetSessionAttributes.PreferStandby), multi.WithTargetSession(TargetSessionAttributes.Primary))
            : new RawDatabase(source, source, source);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => source.DisposeAsync();
}
