using Microsoft.Extensions.Logging;
using PgOptimizer.Connections;
using StackExchange.Redis;

namespace PgOptimizer.Caching;

/// <summary>
/// Which database a cache's values come from, as a short text that instances reaching the same
/// database agree on: a Neon endpoint by its id (the pooler's host and the direct one alike), any
/// other server by its lower-cased host and port (the loopback names as one), then the database.
/// No user name or password is part of it.
/// </summary>
internal static class DatabaseScope
{
    /// <summary>The scope of a connection string, or null when it names no host (nothing to compare).</summary>
    public static string? Of(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        Npgsql.NpgsqlConnectionStringBuilder b;
        try
        {
            b = ConnectionStringParser.Parse(connectionString);
        }
        catch (PgOptimizerConfigurationException)
        {
            return null; // reported where the connection is made
        }

        if (string.IsNullOrWhiteSpace(b.Host))
        {
            return null;
        }

        var hosts = b.Host.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(h => Host(h, b.Port))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var database = string.IsNullOrEmpty(b.Database) ? b.Username ?? "" : b.Database;
        return $"{string.Join(',', hosts)}/{database}";
    }

    private static string Host(string host, int defaultPort)
    {
        var port = defaultPort;
        var name = host;
        var colon = host.LastIndexOf(':');
        if (colon > 0 && host.IndexOf(']', StringComparison.Ordinal) < colon && int.TryParse(host[(colon + 1)..], out var p))
        {
            name = host[..colon];
            port = p;
        }

        name = name.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        var kind = HostKind.Of(name);
        if (kind.EndpointId is { } endpoint)
        {
            return endpoint; // one compute endpoint, whichever of its host names and ports
        }

        if (name is "localhost" or "127.0.0.1" or "::1" || name.StartsWith('/'))
        {
            name = "localhost"; // the loopback names and a Unix socket all reach this machine's server
        }

        return $"{name}:{port}";
    }
}

/// <summary>
/// Notices when one Redis key prefix is used by caches of different databases: their instances
/// would read each other's values under the same keys (a Neon preview branch sharing production's
/// Redis under the same application name, a load test pointed at a scratch database). Every
/// instance records its database's scope and the time in a hash under the prefix, at start and then
/// every <see cref="Interval"/>; any other scope recorded within <see cref="CacheDefaults.FailSafeMaxDuration"/>
/// (the longest a value it wrote may still be served) is reported: logged once, and through
/// <see cref="Others"/> in the cache's health check. It changes nothing itself: which prefix each
/// database should have is the operator's call (<see cref="CacheOptions.KeyPrefix"/>).
/// </summary>
internal sealed partial class DatabaseScopeRegistry(string keyPrefix, string scope, TimeSpan interval, ILogger logger, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly HashSet<string> _logged = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<string> _others = [];
    private int _checks;

    /// <summary>How long a record is kept after its instance was last seen: a day.</summary>
    internal static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>This cache's database.</summary>
    public string Scope => scope;

    /// <summary>How often the record is renewed and the others read.</summary>
    public TimeSpan Interval => interval;

    /// <summary>The other databases whose caches used this prefix lately (empty when none).</summary>
    public IReadOnlyList<string> Others => _others;

    /// <summary>Checks done so far (each a round trip to Redis that succeeded).</summary>
    public int Checks => Volatile.Read(ref _checks);

    /// <summary>The hash of scopes under a prefix.</summary>
    public static RedisKey Key(string keyPrefix) => keyPrefix + "databases";

    /// <summary>Checks now, then every <see cref="Interval"/> until <paramref name="stop"/>.</summary>
    public void Start(IConnectionMultiplexer multiplexer, CancellationToken stop) =>
        _ = Task.Run(() => RunAsync(multiplexer.GetDatabase(), stop), CancellationToken.None);

    private async Task RunAsync(IDatabase db, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            do
            {
                try
                {
                    await CheckAsync(db).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    // Redis unreachable: the next tick tries again
                }
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // the cache was disposed
        }
    }

    /// <summary>Records this scope and reads the others: one round trip.</summary>
    internal async Task CheckAsync(IDatabase db)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var key = Key(keyPrefix);
        var batch = db.CreateBatch();
        var set = batch.HashSetAsync(key, scope, now);
        var expire = batch.KeyExpireAsync(key, Retention);
        var all = batch.HashGetAllAsync(key);
        batch.Execute();
        await Task.WhenAll(set, expire, all).ConfigureAwait(false);

        var others = new List<string>();
        var stale = new List<RedisValue>();
        foreach (var entry in all.Result)
        {
            var name = (string?)entry.Name;
            if (name is null || name == scope || !entry.Value.TryParse(out long seen))
            {
                continue;
            }

            if (now - seen > Retention.TotalSeconds)
            {
                stale.Add(entry.Name);
            }
            else if (now - seen <= CacheDefaults.FailSafeMaxDuration.TotalSeconds)
            {
                others.Add(name);
                lock (_logged)
                {
                    if (_logged.Add(name))
                    {
                        LogShared(logger, keyPrefix, scope, name, TimeSpan.FromSeconds(Math.Max(0, now - seen)));
                    }
                }
            }
        }

        if (stale.Count > 0)
        {
            await db.HashDeleteAsync(key, [.. stale]).ConfigureAwait(false);
        }

        others.Sort(StringComparer.Ordinal);
        _others = others;
        Interlocked.Increment(ref _checks);
    }

    /// <summary>
    /// The scopes recorded under a prefix within the last <see cref="CacheDefaults.FailSafeMaxDuration"/>
    /// (the window <see cref="Others"/> is judged on), newest first; null when Redis fails to answer.
    /// </summary>
    public static async Task<IReadOnlyList<(string Scope, DateTimeOffset Seen)>?> ReadRecentAsync(IDatabase db, string keyPrefix, DateTimeOffset now)
    {
        HashEntry[] all;
        try
        {
            all = await db.HashGetAllAsync(Key(keyPrefix)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return null;
        }

        return all
            .Where(e => e.Value.TryParse(out long _))
            .Select(e => ((string)e.Name!, DateTimeOffset.FromUnixTimeSeconds((long)e.Value)))
            .Where(e => now - e.Item2 <= CacheDefaults.FailSafeMaxDuration)
            .OrderByDescending(e => e.Item2)
            .ToList();
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The cache's Redis key prefix {Prefix} is also used by a cache of another database ({Other}, seen {Ago} ago; this one is {Scope}): each may serve the other's values under the same keys. Give each database's instances a key prefix of their own (Caching:KeyPrefix, or a distinct PGOPT_APPLICATION), or, if both reach the same database by different names, the same Caching:DatabaseScope.")]
    private static partial void LogShared(ILogger logger, string prefix, string scope, string other, TimeSpan ago);
}
