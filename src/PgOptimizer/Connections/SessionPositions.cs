using System.Collections.Concurrent;
using NpgsqlTypes;
using StackExchange.Redis;

namespace PgOptimizer.Connections;

/// <summary>
/// Read-your-writes: the primary's WAL position after each session's latest write, kept in process
/// and in Redis with a time to live, so that every application instance sends the session's reads
/// only to replicas that have replayed that far. Without Redis (or while it is down) it is honoured
/// by this instance only.
/// </summary>
internal sealed class SessionPositions(RedisConnection? redis, string keyPrefix, TimeSpan ttl)
{
    private readonly ConcurrentDictionary<string, (ulong Lsn, long ExpiresMs)> _local = new(StringComparer.Ordinal);
    private int _connecting;

    public async ValueTask RecordAsync(string session, NpgsqlLogSequenceNumber position)
    {
        var lsn = (ulong)position;
        var expires = Environment.TickCount64 + (long)ttl.TotalMilliseconds;
        _local.AddOrUpdate(session, (lsn, expires), (_, old) => (Math.Max(old.Lsn, lsn), expires));
        if (Database() is { } db)
        {
            try
            {
                // Awaited, so a read on another instance right after the write sees it; the script
                // keeps the highest position, since a later write elsewhere may have recorded more.
                await db.ScriptEvaluateAsync(KeepHighest, [(RedisKey)(keyPrefix + session)], [(long)lsn, (long)ttl.TotalMilliseconds]).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // in process only until Redis is back
            }
        }
    }

    public async ValueTask<NpgsqlLogSequenceNumber?> FloorAsync(string session)
    {
        ulong floor = 0;
        if (_local.TryGetValue(session, out var local))
        {
            if (local.ExpiresMs > Environment.TickCount64)
            {
                floor = local.Lsn;
            }
            else
            {
                _local.TryRemove(new KeyValuePair<string, (ulong, long)>(session, local));
            }
        }

        if (Database() is { } db)
        {
            try
            {
                var shared = await db.StringGetAsync(keyPrefix + session).ConfigureAwait(false);
                if (shared.TryParse(out long value) && (ulong)value > floor)
                {
                    floor = (ulong)value;
                }
            }
            catch (RedisException)
            {
            }
        }

        return floor == 0 ? null : new NpgsqlLogSequenceNumber(floor);
    }

    private IDatabase? Database()
    {
        if (redis is null || !redis.IsConfigured)
        {
            return null;
        }

        if (redis.TryGetDatabase() is { } db)
        {
            return db;
        }

        // Connect in the background; a session read never waits for Redis.
        if (Interlocked.Exchange(ref _connecting, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await redis.TryGetDatabaseAsync().ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _connecting, 0);
                }
            });
        }

        return null;
    }

    private const string KeepHighest = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 1
        """;
}
