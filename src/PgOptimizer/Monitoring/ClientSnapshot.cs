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

    /// <summary>Failed commands over all endpoints.</summary>
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
