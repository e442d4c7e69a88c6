using System.Diagnostics;
using PgOptimizer.Caching;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Commit → invalidation latency on a second instance, each update measured from its commit's
/// return to the moment the second instance has invalidated the row's tag, with percentiles.
/// Usage: PgOptimizer.Benchmarks invalidation [updates]
/// </summary>
internal static class InvalidationLatency
{
    public static async Task<int> RunAsync(string[] args)
    {
        var updates = BenchArgs.Int(args, 1, 300);
        await using var rig = await InvalidationRig.CreateAsync("pgopt_cache_bench");
        var histogram = new LatencyHistogram();
        for (var i = 0; i < updates + 20; i++)
        {
            var id = 1 + (i % 1000);
            var key = $"item:{id}";
            await rig.A.SetAsync(key, "cached", CacheStrategies.PitchDetails, [key]);
            await rig.B.GetOrSetAsync(key, _ => Task.FromResult("cached"), CacheStrategies.PitchDetails, [key]);
            var invalidated = await rig.UpdateAsync(id);
            var committed = Stopwatch.GetTimestamp();
            await invalidated;
            if (i >= 20)
            {
                histogram.RecordTicks(Stopwatch.GetTimestamp() - committed); // the first 20 warm up
            }

            if ((await rig.B.TryGetAsync<string>(key, CacheStrategies.PitchDetails)).HasValue)
            {
                throw new InvalidOperationException($"{key} still cached on the second instance after its invalidation");
            }
        }

        var s = histogram.Summarize();
        Console.WriteLine($"commit → invalidated on the second instance, {s.Count} updates: p50 {s.P50Ms:F2} ms, p95 {s.P95Ms:F2} ms, p99 {s.P99Ms:F2} ms, max {s.MaxMs:F2} ms, mean {s.MeanMs:F2} ms");
        return 0;
    }
}
