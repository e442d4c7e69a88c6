using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Workload;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// The demo workload end to end, the toolkit (connection manager + two-tier cache, the cache cleared
/// and warmed from a sample of the workload before each of its rounds) against the same operations on
/// plain Npgsql, in alternating rounds (A B B A ...) so that the drift of a shared, noisy machine hits
/// both alike. Needs the demo data (pgopt seed or pgopt demo). Usage:
/// PgOptimizer.Benchmarks workload [concurrency] [rounds] [seconds-per-round] [warm-up sample]
/// </summary>
internal static class WorkloadComparison
{
    public static async Task<int> RunAsync(string[] args)
    {
        var concurrency = BenchArgs.Int(args, 1, 16);
        var rounds = BenchArgs.Int(args, 2, 4);
        var seconds = BenchArgs.Double(args, 3, 20);
        var sample = BenchArgs.Int(args, 4, 20_000);
        var primary = BenchEnvironment.Get("PGOPT_CONNECTION");
        var replicas = ConnectionsServiceCollectionExtensions.SplitList(BenchEnvironment.Get("PGOPT_REPLICA_CONNECTIONS")).ToList();
        var redis = BenchEnvironment.Get("REDIS_URL");

        var services = new ServiceCollection().AddLogging().AddPgOptimizer(
            c =>
            {
                c.ConnectionString = primary;
                c.MaxPoolSize = Math.Max(c.MaxPoolSize, concurrency);
                foreach (var r in replicas)
                {
                    c.ReplicaConnectionStrings.Add(r);
                }
            },
            r => r.Url = redis,
            configureCaching: c =>
            {
                PitchesCaching.AddStrategies(c);
                c.WarmupConcurrency = Math.Clamp(concurrency, 1, 256);
            }).BuildServiceProvider();
        await using var _ = services;
        var manager = services.GetRequiredService<PgConnectionManager>();
        var cache = services.GetRequiredService<SmartCache>();
        var keys = await PitchesDemo.ReadKeySpaceAsync(manager.Primary.DataSource) ?? throw new InvalidOperationException("No demo data: run pgopt seed first.");
        var workload = new PitchesWorkload(keys);
        var mix = WorkloadMix.Default(workload);
        await using var rawPrimary = RawNpgsqlExecutor.BuildDataSource(manager);
        var raw = RawNpgsqlExecutor.Create(rawPrimary);
        var options = new LoadTestOptions { Duration = TimeSpan.FromSeconds(seconds), Concurrency = concurrency, Warmup = TimeSpan.FromSeconds(2), Seed = 1 };

        Console.WriteLine($"demo workload (scale {keys.Scale.ToString(CultureInfo.InvariantCulture)}), closed loop, {concurrency} workers, {rounds} rounds of {seconds}s per variant; toolkit rounds start from a cleared cache warmed with {sample} sampled requests");
        Console.WriteLine("round  raw req/s  raw p99 ms  toolkit req/s  toolkit p99 ms  hit rate  ratio");
        var ratios = new List<double>();
        double rawTotal = 0, kitTotal = 0;
        for (var round = 0; round < rounds; round++)
        {
            LoadTestReport r, k;
            double hit;
            if (round % 2 == 0)
            {
                r = await RawAsync();
                (k, hit) = await ToolkitAsync(round);
            }
            else
            {
                (k, hit) = await ToolkitAsync(round);
                r = await RawAsync();
            }

            rawTotal += r.Run.Throughput;
            kitTotal += k.Run.Throughput;
            ratios.Add(k.Run.Throughput / r.Run.Throughput);
            Console.WriteLine($"{round + 1,5}  {r.Run.Throughput,9:F0}  {r.Run.Latency.P99Ms,10:F1}  {k.Run.Throughput,13:F0}  {k.Run.Latency.P99Ms,14:F1}  {hit,8:P1}  {ratios[^1],5:F2}");
        }

        var median = BenchArgs.Median(ratios);
        Console.WriteLine($"mean raw {rawTotal / rounds:F0} req/s, mean toolkit {kitTotal / rounds:F0} req/s, ratio of means {kitTotal / rawTotal:F2}, median ratio {median:F2} (min {ratios[0]:F2}, max {ratios[^1]:F2})");
        return 0;

        Task<LoadTestReport> RawAsync() =>
            LoadTester.RunAsync(workload, mix, raw, manager.Primary.DataSource, options, null, rawPrimary, manager.Replicas.Select(x => x.DataSource).ToList());

        async Task<(LoadTestReport, double)> ToolkitAsync(int round)
        {
            foreach (var strategy in cache.StrategyNames)
            {
                await cache.ClearStrategyAsync(strategy);
            }

            var executor = new CachedExecutor(new ConnectionManagerExecutor(manager), cache);
            await WorkloadWarmup.RunAsync(workload, mix, new ConnectionManagerExecutor(manager), cache, sample, options.Seed + round, executor);
            var before = cache.GetCounters();
            var report = await LoadTester.RunAsync(workload, mix, executor, manager.Primary.DataSource, options, null, null, manager.Replicas.Select(x => x.DataSource).ToList());
            var after = cache.GetCounters();
            long hits = after.Sum(c => c.Hits) - before.Sum(c => c.Hits), misses = after.Sum(c => c.Misses) - before.Sum(c => c.Misses);
            return (report, hits + misses == 0 ? 0 : (double)hits / (hits + misses));
        }
    }
}
