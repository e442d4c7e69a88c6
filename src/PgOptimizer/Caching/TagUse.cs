using System.Collections.Concurrent;
using StackExchange.Redis;

namespace PgOptimizer.Caching;

/// <summary>
/// Which strategies hold entries of which tag families ("pitch:42" and "pitch:7" are the family
/// "pitch:#"), so that an invalidation touches only the strategies that use a tag: each one touched
/// costs a tag marker write and a backplane message, and shows a write in its statistics. Every
/// instance records its own use and publishes it to Redis (a set per family) before its first entry
/// of a family is stored, so an instance that never cached a family still reaches those that did.
/// Without knowledge (Redis configured but unreachable), every strategy is invalidated.
/// </summary>
internal sealed class TagUse(string keyPrefix, IReadOnlyList<string> strategies)
{
    private readonly ConcurrentDictionary<string, ulong> _local = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _index = strategies.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i, StringComparer.Ordinal);
    private IDatabase? _redis;

    /// <summary>With more strategies than bits, every invalidation goes to all of them.</summary>
    private bool Tracks => strategies.Count <= 64;

    /// <summary>The tag with each run of digits replaced by '#'; the tag itself when it has none (no allocation).</summary>
    public static string Family(string tag)
    {
        if (!tag.AsSpan().ContainsAnyInRange('0', '9'))
        {
            return tag;
        }

        var buffer = tag.Length <= 256 ? stackalloc char[tag.Length] : new char[tag.Length];
        var n = 0;
        var previousDigit = false;
        foreach (var c in tag)
        {
            var digit = char.IsAsciiDigit(c);
            if (!digit)
            {
                buffer[n++] = c;
            }
            else if (!previousDigit)
            {
                buffer[n++] = '#';
            }

            previousDigit = digit;
        }

        return new string(buffer[..n]);
    }

    /// <summary>Records that <paramref name="strategy"/> stores entries with <paramref name="tags"/>; publishes a new family before returning.</summary>
    public ValueTask NoteAsync(int strategy, IEnumerable<string>? tags)
    {
        if (tags is null || !Tracks)
        {
            return ValueTask.CompletedTask;
        }

        List<string>? fresh = null;
        var bit = 1UL << strategy;
        foreach (var tag in tags)
        {
            var family = Family(tag);
            var before = _local.GetValueOrDefault(family);
            if ((before & bit) == 0)
            {
                _local.AddOrUpdate(family, bit, (_, m) => m | bit);
                (fresh ??= []).Add(family);
            }
        }

        return fresh is null || _redis is null ? ValueTask.CompletedTask : PublishAsync(fresh, strategies[strategy]);
    }

    private async ValueTask PublishAsync(List<string> families, string strategy)
    {
        try
        {
            await Task.WhenAll(families.Select(f => _redis!.SetAddAsync(Key(f), strategy))).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // republished when Redis is back (ConnectionRestored)
        }
    }

    /// <summary>Starts publishing to Redis: everything recorded so far now, and again after every reconnection (Redis may have lost it).</summary>
    public void Attach(IConnectionMultiplexer multiplexer)
    {
        _redis = multiplexer.GetDatabase();
        multiplexer.ConnectionRestored += (_, _) => _ = RepublishAsync();
        _ = RepublishAsync();
    }

    private async Task RepublishAsync()
    {
        foreach (var (family, mask) in _local)
        {
            for (var i = 0; i < strategies.Count; i++)
            {
                if ((mask & (1UL << i)) != 0)
                {
                    await PublishAsync([family], strategies[i]).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// The strategies that use any of the tags' families, on this instance or any other; all of
    /// them when that cannot be known (Redis configured but not reachable).
    /// </summary>
    public async ValueTask<IReadOnlyList<string>> StrategiesUsingAsync(IReadOnlyList<string> tags, bool redisConfigured)
    {
        if (!Tracks || (redisConfigured && _redis is null))
        {
            return strategies;
        }

        var families = tags.Select(Family).Distinct(StringComparer.Ordinal).ToList();
        ulong mask = 0;
        foreach (var f in families)
        {
            mask |= _local.GetValueOrDefault(f);
        }

        if (_redis is { } db)
        {
            try
            {
                var members = await Task.WhenAll(families.Select(f => db.SetMembersAsync(Key(f)))).ConfigureAwait(false);
                foreach (var m in members.SelectMany(x => x))
                {
                    if (_index.TryGetValue(m.ToString(), out var i))
                    {
                        mask |= 1UL << i;
                    }
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return strategies;
            }
        }

        return strategies.Where((_, i) => (mask & (1UL << i)) != 0).ToList();
    }

    private RedisKey Key(string family) => $"{keyPrefix}tag-strategies:{family}";
}
