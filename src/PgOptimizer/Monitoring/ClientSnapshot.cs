using HdrHistogram;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

/// <summary>
/// What one application instance (or several, merged) measured from the client side since it
/// started: statements, endpoints, pools and slow queries. Counters are cumulative; histograms are
/// HdrHistogram encodings, so that instances' snapshots can be merged exactly. <see cref="Since"/>
/// is when tracking started (the earliest of merged instances).
/// </summary>
public sealed record ClientSnapshot(
    string Instance,
    DateTimeOffset At,
    int Instances,
    IReadOnlyList<StatementSnapshot> Statements,
    IReadOnlyList<EndpointSnapshot> Endpoints,
    IReadOnlyList<PoolSnapshot> Pools,
    long SlowQueries,
    DateTimeOffset Since)
{
    /// <summary>The application cache's counters per strategy (empty without a cache).</summary>
    public IReadOnlyList<CacheStrategyCounters> Cache { get; init; } = [];

    /// <summary>All commands of all endpoints.</summary>
    public long Calls => Endpoints.Sum(e => e.Calls);

    public long Errors => Endpoints.Sum(e => e.Errors);

    /// <summary>Latency of all commands together.</summary>
    public HistogramBase Latency()
    {
        var h = LatencyHistogram.CreateEmpty();
        foreach (var e in Endpoints)
        {
            h.Add(LatencyHistogram.Decode(e.Histogram));
        }

        return h;
    }

    /// <summary>
    /// Merges the snapshots of several instances: counters summed, histograms added, maxima kept;
    /// pools of the same endpoint name are summed (busy, max, operations).
    /// </summary>
    public static ClientSnapshot Merge(IReadOnlyCollection<ClientSnapshot> snapshots, string name = "all")
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        if (snapshots.Count == 0)
        {
            return new ClientSnapshot(name, DateTimeOffset.UtcNow, 0, [], [], [], 0, DateTimeOffset.UtcNow);
        }

        var statements = snapshots.SelectMany(s => s.Statements).GroupBy(s => s.Id)
            .Select(g => new StatementSnapshot(
                g.Key, g.First().Sql, g.Sum(x => x.Calls), g.Sum(x => x.Errors), g.Sum(x => x.Rows),
                g.Sum(x => x.TotalMs), g.Max(x => x.MaxMs), MergeHistograms(g.Select(x => x.Histogram))))
            .ToList();
        var endpoints = snapshots.SelectMany(s => s.Endpoints).GroupBy(e => e.Name)
            .Select(g => new EndpointSnapshot(g.Key, g.Sum(x => x.Calls), g.Sum(x => x.Errors), MergeHistograms(g.Select(x => x.Histogram))))
            .ToList();
        var pools = snapshots.SelectMany(s => s.Pools).GroupBy(p => p.Name)
            .Select(g => new PoolSnapshot(
                g.Key, g.Sum(x => x.Busy), g.Sum(x => x.Idle), g.Sum(x => x.Peak), g.Sum(x => x.Max), g.Sum(x => x.Operations),
                g.Select(x => x.Circuit).FirstOrDefault(c => c != "Closed") ?? "Closed", MergeHistograms(g.Select(x => x.WaitHistogram))))
            .ToList();
        var cache = snapshots.SelectMany(s => s.Cache).GroupBy(c => c.Strategy).Select(g => CacheStrategyCounters.Sum(g.Key, g)).ToList();
        return new ClientSnapshot(name, snapshots.Max(s => s.At), snapshots.Sum(s => s.Instances), statements, endpoints, pools, snapshots.Sum(s => s.SlowQueries), snapshots.Min(s => s.Since))
        {
            Cache = cache,
        };
    }

    private static string MergeHistograms(IEnumerable<string> encoded)
    {
        var h = LatencyHistogram.CreateEmpty();
        foreach (var e in encoded)
        {
            h.Add(LatencyHistogram.Decode(e));
        }

        return LatencyHistogram.Encode(h);
    }
}

/// <summary>Cumulative figures of one normalized statement; <see cref="Histogram"/> is an encoded HdrHistogram (µs).</summary>
public sealed record StatementSnapshot(string Id, string Sql, long Calls, long Errors, long Rows, double TotalMs, double MaxMs, string Histogram)
{
    public double MeanMs => Calls == 0 ? 0 : Math.Round(TotalMs / Calls, 3);

    public LatencySummary Latency() => LatencyHistogram.Summarize(LatencyHistogram.Decode(Histogram));
}

/// <summary>Commands of one endpoint.</summary>
public sealed record EndpointSnapshot(string Name, long Calls, long Errors, string Histogram);

/// <summary>
/// A connection pool: connections the manager has handed out (busy), idle physical connections
/// Npgsql keeps open, peak and maximum, operations, circuit state, wait-time histogram (µs).
/// </summary>
public sealed record PoolSnapshot(string Name, int Busy, int Idle, int Peak, int Max, long Operations, string Circuit, string WaitHistogram)
{
    public double Usage => Max == 0 ? 0 : (double)Busy / Max;
}

/// <summary>One slow query: normalized text only, never parameter values.</summary>
public sealed record SlowQuery(DateTimeOffset At, double DurationMs, string StatementId, string Sql, string Endpoint, string? Error, string Instance);

/// <summary>The most recent slow queries of this process, in a fixed-size ring.</summary>
public sealed class SlowQueryLog(int capacity)
{
    private readonly SlowQuery?[] _ring = new SlowQuery?[Math.Max(1, capacity)];
    private readonly Queue<SlowQuery> _unpublished = new();
    private readonly object _gate = new();
    private long _next;

    public int Capacity => _ring.Length;

    internal void Add(SlowQuery query)
    {
        lock (_gate)
        {
            _ring[_next++ % _ring.Length] = query;
            _unpublished.Enqueue(query);
            while (_unpublished.Count > _ring.Length)
            {
                _unpublished.Dequeue(); // not yet published and already out of the ring: dropped
            }
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<SlowQuery> Recent(int limit = int.MaxValue)
    {
        lock (_gate)
        {
            var list = new List<SlowQuery>();
            for (var k = 1; k <= Math.Min(_next, _ring.Length) && list.Count < limit; k++)
            {
                list.Add(_ring[(_next - k) % _ring.Length]!);
            }

            return list;
        }
    }

    /// <summary>Takes the slow queries not yet published to Redis.</summary>
    internal List<SlowQuery> TakeUnpublished()
    {
        lock (_gate)
        {
            var list = _unpublished.ToList();
            _unpublished.Clear();
            return list;
        }
    }

    /// <summary>Puts back what could not be published (Redis down), oldest first, within capacity.</summary>
    internal void ReturnUnpublished(List<SlowQuery> queries)
    {
        lock (_gate)
        {
            var pending = queries.Concat(_unpublished).TakeLast(_ring.Length).ToList();
            _unpublished.Clear();
            pending.ForEach(_unpublished.Enqueue);
        }
    }
}
