using System.Text.Json;
using StackExchange.Redis;

namespace PgOptimizer.Monitoring;

// Instances: this instance's snapshot in Redis, the other instances' snapshots, their aggregate and the shared slow queries.
public sealed partial class DatabasePerformanceMonitor
{
    /// <summary>This instance's client figures now.</summary>
    public ClientSnapshot LocalSnapshot() => Tracker.Snapshot(_connections.Endpoints) with { Cache = _cache?.GetCounters() ?? [] };

    /// <summary>
    /// Publishes this instance's snapshot (key with a TTL, so a stopped instance drops out) and its
    /// new slow queries (a capped stream shared by all instances). Returns false when Redis is not
    /// configured or not reachable; never throws for Redis failures.
    /// </summary>
    public Task<bool> PublishAsync(CancellationToken cancellationToken = default) => PublishAsync(null, cancellationToken);

    /// <summary>As <see cref="PublishAsync(CancellationToken)"/>, with this instance's snapshot when the caller has just taken one.</summary>
    private async Task<bool> PublishAsync(ClientSnapshot? local, CancellationToken cancellationToken)
    {
        var db = await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var slow = Tracker.SlowQueries.TakeUnpublished();
        if (db is null)
        {
            Tracker.SlowQueries.ReturnUnpublished(slow);
            return false;
        }

        try
        {
            var snapshot = local ?? LocalSnapshot();
            var prefix = _keyPrefix;
            var ttl = _options.EffectiveInstanceTtl;
            var batch = db.CreateBatch();
            var tasks = new List<Task>
            {
                batch.StringSetAsync(prefix + "instance:" + InstanceId, JsonSerializer.Serialize(snapshot, Json), ttl),
                batch.SortedSetAddAsync(prefix + "instances", InstanceId, _time.GetUtcNow().ToUnixTimeMilliseconds()),
            };
            foreach (var q in slow)
            {
                tasks.Add(batch.StreamAddAsync(prefix + "slow", "q", JsonSerializer.Serialize(q, Json), maxLength: _options.SlowQueryStreamLength, useApproximateMaxLength: true));
            }

            batch.Execute();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Tracker.SlowQueries.ReturnUnpublished(slow);
            LogRedisFailed(_logger, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// The snapshots of all live instances in Redis (this one included, fresh), or only this
    /// instance's when Redis is not available. Expired instances are removed from the index.
    /// </summary>
    public async Task<IReadOnlyList<ClientSnapshot>> ReadInstancesAsync(CancellationToken cancellationToken = default)
    {
        var local = LocalSnapshot();
        var db = await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (db is null)
        {
            return [local];
        }

        try
        {
            var prefix = _keyPrefix;
            var ids = (await db.SortedSetRangeByRankAsync(prefix + "instances").ConfigureAwait(false)).Select(v => v.ToString()).ToList();
            ids.Remove(InstanceId);
            var values = ids.Count == 0 ? [] : await db.StringGetAsync(ids.Select(id => (RedisKey)(prefix + "instance:" + id)).ToArray()).ConfigureAwait(false);
            var result = new List<ClientSnapshot> { local };
            var expired = new List<RedisValue>();
            for (var i = 0; i < ids.Count; i++)
            {
                if (values[i].IsNull)
                {
                    expired.Add(ids[i]);
                    continue;
                }

                try
                {
                    if (JsonSerializer.Deserialize<ClientSnapshot>(values[i].ToString(), Json) is { } s)
                    {
                        result.Add(s);
                    }
                }
                catch (Exception ex) when (ex is JsonException or FormatException)
                {
                    LogBadSnapshot(_logger, ids[i], ex.Message);
                }
            }

            if (expired.Count > 0)
            {
                await db.SortedSetRemoveAsync(prefix + "instances", expired.ToArray()).ConfigureAwait(false);
            }

            return result;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisFailed(_logger, ex.Message);
            return [local];
        }
    }

    /// <summary>All live instances merged: counters summed, histograms added.</summary>
    public async Task<ClientSnapshot> AggregateAsync(CancellationToken cancellationToken = default)
    {
        var merged = ClientSnapshot.Merge(await ReadInstancesAsync(cancellationToken).ConfigureAwait(false));
        _lastAggregate = new AggregateReading(merged, _time.GetTimestamp());
        return merged;
    }

    /// <summary>
    /// All live instances merged, reusing the last reading when it is at most
    /// <paramref name="maxAge"/> old: a dashboard that evaluates health across instances and then
    /// shows the same figures per strategy or per endpoint reads every instance's snapshot once.
    /// </summary>
    public Task<ClientSnapshot> AggregateAsync(TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        _lastAggregate is { } last && _time.GetElapsedTime(last.Timestamp) <= maxAge
            ? Task.FromResult(last.Snapshot)
            : AggregateAsync(cancellationToken);

    private sealed record AggregateReading(ClientSnapshot Snapshot, long Timestamp);

    /// <summary>Recent slow queries, newest first: of all instances from Redis, else of this process.</summary>
    public async Task<IReadOnlyList<SlowQuery>> GetSlowQueriesAsync(int limit = 50, CancellationToken cancellationToken = default)
    {
        var db = await _redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (db is not null)
        {
            try
            {
                await PublishAsync(cancellationToken).ConfigureAwait(false);
                var entries = await db.StreamRangeAsync(_keyPrefix + "slow", count: limit, messageOrder: Order.Descending).ConfigureAwait(false);
                return entries
                    .Select(e => e["q"])
                    .Where(v => !v.IsNull)
                    .Select(v => JsonSerializer.Deserialize<SlowQuery>(v.ToString(), Json)!)
                    .ToList();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
            {
                LogRedisFailed(_logger, ex.Message);
            }
        }

        return Tracker.SlowQueries.Recent(limit);
    }
}
