using System.Diagnostics;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Throughput of point reads, raw prepared NpgsqlDataSource vs the connection manager, measured in
/// alternating rounds (A B B A ...) so that the drift of a shared, noisy machine hits both alike.
/// Reports each round and the median ratio. Usage: PgOptimizer.Benchmarks throughput [concurrency] [rounds] [seconds-per-round]
/// </summary>
internal static class ThroughputComparison
{
    public static async Task<int> RunAsync(string[] args)
    {
        var concurrency = BenchArgs.Int(args, 1, 16);
        var rounds = BenchArgs.Int(args, 2, 10);
        var seconds = BenchArgs.Double(args, 3, 3);
        var bench = new PointReadBenchmarks { Concurrency = concurrency };
        await bench.Setup();
        try
        {
            var ratios = new List<double>();
            double rawTotal = 0, mgrTotal = 0;
            Console.WriteLine($"point reads by primary key, {concurrency} concurrent callers, {rounds} rounds of {seconds}s per variant");
            Console.WriteLine("round  raw ops/s  manager ops/s  ratio");
            for (var r = 0; r < rounds; r++)
            {
                double raw, mgr;
                if (r % 2 == 0)
                {
                    raw = await MeasureAsync(bench.RawRead, concurrency, seconds);
                    mgr = await MeasureAsync(bench.ManagerRead, concurrency, seconds);
                }
                else
                {
                    mgr = await MeasureAsync(bench.ManagerRead, concurrency, seconds);
                    raw = await MeasureAsync(bench.RawRead, concurrency, seconds);
                }

                rawTotal += raw;
                mgrTotal += mgr;
                ratios.Add(mgr / raw);
                Console.WriteLine($"{r + 1,5}  {raw,9:F0}  {mgr,13:F0}  {mgr / raw,5:F3}");
            }

            var median = BenchArgs.Median(ratios);
            Console.WriteLine($"mean raw {rawTotal / rounds:F0} ops/s, mean manager {mgrTotal / rounds:F0} ops/s, " +
                              $"ratio of means {mgrTotal / rawTotal:F3}, median ratio {median:F3} (min {ratios[0]:F3}, max {ratios[^1]:F3})");
            return 0;
        }
        finally
        {
            await bench.Cleanup();
        }
    }

    /// <summary>Operations per second of <paramref name="read"/> run by concurrent callers for a while.</summary>
    internal static async Task<double> MeasureAsync(Func<int, ValueTask<string>> read, int concurrency, double seconds)
    {
        long ops = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var i = w * 7919;
            long mine = 0;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                await read(1 + (i++ * 7919 % 10_000));
                mine++;
            }

            Interlocked.Add(ref ops, mine);
        }));
        return ops / sw.Elapsed.TotalSeconds;
    }
}
