using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Point-read throughput through the connection manager with client-side query tracking off, on
/// through Npgsql's command activities (QueryTrackingMode.NpgsqlActivities), and on through the
/// connection manager's own command timing (the default). Variants alternate in rotating order
/// each round, so the drift of a shared machine hits all alike; the client's and the machine's CPU
/// per read are measured too. Usage: PgOptimizer.Benchmarks tracking [concurrency] [rounds] [seconds]
/// </summary>
internal static class TrackingOverhead
{
    private const string Sql = "SELECT v FROM kv WHERE id = $1";

    public static async Task<int> RunAsync(string[] args)
    {
        var concurrency = BenchArgs.Int(args, 1, 16);
        var rounds = BenchArgs.Int(args, 2, 9);
        var seconds = BenchArgs.Double(args, 3, 3);
        var bench = new PointReadBenchmarks { Concurrency = concurrency };
        await bench.Setup();
        await bench.Cleanup(); // only for the table; this benchmark builds its own manager
        var target = new NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(BenchEnvironment.Get("PGOPT_CONNECTION")).ConnectionString) { Database = "pgopt_bench" };
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = target.ConnectionString }));

        var names = new[] { "off", "npgsql-activities", "connection-manager" };
        var totals = new double[3];
        var ratios = new List<double>[] { [], [], [] };
        var clientCpu = new List<double>[] { [], [], [] };
        var machineCpu = new List<double>[] { [], [], [] };
        async Task<double> RunVariantAsync(int v, int round)
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var busyBefore = MachineBusySeconds();
            var sw = Stopwatch.StartNew();
            var rate = v switch
            {
                0 => await ThroughputComparison.MeasureAsync(id => Read(manager, id), concurrency, seconds),
                1 => await WithTrackingAsync(manager, QueryTrackingMode.NpgsqlActivities, () => ThroughputComparison.MeasureAsync(id => Read(manager, id), concurrency, seconds)),
                _ => await WithTrackingAsync(manager, QueryTrackingMode.ConnectionManager, () => ThroughputComparison.MeasureAsync(id => Read(manager, id), concurrency, seconds)),
            };
            var ops = rate * sw.Elapsed.TotalSeconds;
            if (round >= 0)
            {
                clientCpu[v].Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / ops);
                machineCpu[v].Add((MachineBusySeconds() - busyBefore) * 1e6 / ops);
            }

            return rate;
        }

        if (Environment.GetEnvironmentVariable("PGOPT_BENCH_ONLY") is { Length: > 0 } only)
        {
            // profiling aid: run one variant for the whole time
            Console.WriteLine($"{names[int.Parse(only, CultureInfo.InvariantCulture)]}: {await RunVariantAsync(int.Parse(only, CultureInfo.InvariantCulture), 0):F0} ops/s");
            return 0;
        }

        // one uncounted round of each variant: the first seconds of a run are always off (JIT, server caches)
        for (var v = 0; v < 3; v++)
        {
            await RunVariantAsync(v, -1);
        }

        Console.WriteLine($"point reads via the connection manager, {concurrency} callers, {rounds} rounds of {seconds}s per variant (after one warm-up round)");
        Console.WriteLine("round  off ops/s  activities ops/s  manager ops/s  activities/off  manager/off");
        for (var r = 0; r < rounds; r++)
        {
            var ops = new double[3];
            for (var k = 0; k < 3; k++)
            {
                var v = (r + k) % 3;
                ops[v] = await RunVariantAsync(v, r);
            }

            for (var v = 0; v < 3; v++)
            {
                totals[v] += ops[v];
                ratios[v].Add(ops[v] / ops[0]);
            }

            Console.WriteLine($"{r + 1,5}  {ops[0],9:F0}  {ops[1],16:F0}  {ops[2],13:F0}  {ops[1] / ops[0],14:F3}  {ops[2] / ops[0],11:F3}");
        }

        static double Median(List<double> xs)
        {
            var sorted = xs.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }

        Console.WriteLine($"CPU per read (median of rounds): client {Median(clientCpu[0]):F2} µs, whole machine {Median(machineCpu[0]):F2} µs with tracking off");
        for (var v = 1; v < 3; v++)
        {
            var sorted = ratios[v].Order().ToList();
            var extra = Median(clientCpu[v]) - Median(clientCpu[0]);
            Console.WriteLine($"{names[v]}: ratio of means {totals[v] / totals[0]:F3}, median ratio {Median(ratios[v]):F3} (min {sorted[0]:F3}, max {sorted[^1]:F3}); " +
                              $"client CPU {Median(clientCpu[v]):F2} µs per read ({extra:+0.00;-0.00} µs), " +
                              $"that is {100 * extra / Median(machineCpu[0]):F2} % of the machine's CPU per read");
        }

        return 0;
    }

    /// <summary>CPU time this machine spent busy (user, nice, system, irq, softirq) from /proc/stat.</summary>
    private static double MachineBusySeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
        return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7)) / 100.0; // USER_HZ = 100
    }

    private static async Task<double> WithTrackingAsync(PgConnectionManager manager, QueryTrackingMode mode, Func<Task<double>> measure)
    {
        using var tracker = new QueryTracker(manager, Options.Create(new MonitoringOptions { TrackingMode = mode }));
        var result = await measure();
        if (tracker.Statements.Sum(s => s.Calls) == 0)
        {
            throw new InvalidOperationException("tracking recorded nothing: the benchmark would measure nothing");
        }

        return result;
    }

    private static ValueTask<string> Read(PgConnectionManager manager, int id) =>
        manager.ExecuteAsync(DbIntent.Read, id, static async (conn, id, ct) =>
        {
            await using var cmd = new NpgsqlCommand(Sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
            return (string)(await cmd.ExecuteScalarAsync(ct))!;
        });
}
