using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Routing;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Point reads over two replicas, one behind a loopback proxy that adds a delay per round trip:
/// PgOptimizer's adaptive and round-robin routing against Npgsql's multi-host load balancing
/// (reads preferring standbys) on the same servers, pool size and callers, in alternating rounds;
/// then the same without the slow path (what choosing costs). Reports throughput and p99.
/// Arguments: concurrency (16), seconds per run (10), rounds (3), delay ms (5).
/// </summary>
internal static class RoutingComparison
{
    private const int Rows = 10_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var concurrency = BenchArgs.Int(args, 1, 16);
        var seconds = BenchArgs.Double(args, 2, 10);
        var rounds = BenchArgs.Int(args, 3, 3);
        var delayMs = BenchArgs.Double(args, 4, 5);
        var primary = ConnectionStringParser.Parse(BenchEnvironment.Get("PGOPT_CONNECTION"));
        var replicas = BenchEnvironment.Get("PGOPT_REPLICA_CONNECTIONS").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(r => ConnectionStringParser.Parse(r)).ToList();
        if (replicas.Count < 2)
        {
            Console.Error.WriteLine("Needs two replicas (scripts/services.sh up starts them).");
            return 2;
        }

        foreach (var b in replicas.Append(primary))
        {
            b.Database = "pgopt_bench";
        }

        await PrepareAsync(primary, replicas);
        await using var proxy = new DelayProxy(replicas[1].Host!, replicas[1].Port, TimeSpan.FromMilliseconds(delayMs));
        var slow = new NpgsqlConnectionStringBuilder(replicas[1].ConnectionString) { Port = proxy.Port };

        Console.WriteLine($"point reads, {concurrency} callers, {seconds} s per run, {rounds} rounds; replica2 behind a proxy adding {delayMs} ms per round trip");
        Console.WriteLine("round  variant                req/s      p99 ms   reads on the slow replica");
        var results = new Dictionary<string, List<(double Rps, double P99, double SlowShare)>>(StringComparer.Ordinal);
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var variant in new[] { "adaptive", "round-robin", "npgsql-multihost" })
            {
                var r = await RunVariantAsync(variant, primary, replicas[0], slow, concurrency, seconds);
                results.TryAdd(variant, []);
                results[variant].Add(r);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round,5}  {variant,-20} {r.Rps,9:F0} {r.P99,10:F2}   {(double.IsNaN(r.SlowShare) ? "n/a" : r.SlowShare.ToString("P0", CultureInfo.InvariantCulture))}"));
            }
        }

        static double Med(IEnumerable<double> v) => BenchArgs.Median(v.ToList());
        var a = results["adaptive"];
        var n = results["npgsql-multihost"];
        var rr = results["round-robin"];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median of rounds, slow replica: adaptive/npgsql throughput {Med(a.Zip(n, (x, y) => x.Rps / y.Rps)):F2}x, p99 {Med(a.Zip(n, (x, y) => x.P99 / y.P99)):F2}x; round-robin/npgsql throughput {Med(rr.Zip(n, (x, y) => x.Rps / y.Rps)):F2}x"));

        proxy.Delay = TimeSpan.Zero;
        var fast = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var ad = await RunVariantAsync("adaptive", primary, replicas[0], slow, concurrency, seconds);
            var ro = await RunVariantAsync("round-robin", primary, replicas[0], slow, concurrency, seconds);
            fast.Add(ad.Rps / ro.Rps);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round,5}  no delay: adaptive {ad.Rps:F0} req/s, round-robin {ro.Rps:F0} req/s"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median of rounds, no slow replica: adaptive/round-robin throughput {BenchArgs.Median(fast):F2}x"));
        return 0;
    }

    private static async Task<(double Rps, double P99, double SlowShare)> RunVariantAsync(
        string variant, NpgsqlConnectionStringBuilder primary, NpgsqlConnectionStringBuilder fast, NpgsqlConnectionStringBuilder slow, int concurrency, double seconds)
    {
        Func<int, ValueTask<string>> read;
        Func<double> slowShare;
        var disposables = new List<IAsyncDisposable>();
        if (variant == "npgsql-multihost")
        {
            var hosts = new NpgsqlConnectionStringBuilder(primary.ConnectionString)
            {
                Host = $"{primary.Host}:{primary.Port},{fast.Host}:{fast.Port},{slow.Host}:{slow.Port}",
                LoadBalanceHosts = true,
                MaxPoolSize = 100,
                MaxAutoPrepare = 64,
            };
            var multi = new NpgsqlDataSourceBuilder(hosts.ConnectionString).BuildMultiHost();
            disposables.Add(multi);
            var reads = multi.WithTargetSession(TargetSessionAttributes.PreferStandby);
            read = async id =>
            {
                await using var cmd = reads.CreateCommand("SELECT v FROM kv WHERE id = $1");
                cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
                return (string)(await cmd.ExecuteScalarAsync())!;
            };
            slowShare = () => double.NaN;
        }
        else
        {
            var options = new ConnectionOptions { ConnectionString = primary.ConnectionString };
            options.Replicas.Add(new ReplicaOptions { Name = "fast", ConnectionString = fast.ConnectionString });
            options.Replicas.Add(new ReplicaOptions { Name = "slow", ConnectionString = slow.ConnectionString });
            var router = new ReplicaRouter(Options.Create(new RoutingOptions { Strategy = variant == "adaptive" ? LoadBalancingStrategy.Adaptive : LoadBalancingStrategy.RoundRobin }));
            var manager = new PgConnectionManager(Options.Create(options), router);
            disposables.Add(manager);
            read = id => manager.ExecuteAsync(DbIntent.Read, id, static async (conn, id, ct) =>
            {
                await using var cmd = new NpgsqlCommand("SELECT v FROM kv WHERE id = $1", conn);
                cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
                return (string)(await cmd.ExecuteScalarAsync(ct))!;
            });
            slowShare = () =>
            {
                var s = router.GetReplicaStatistics(manager);
                var total = s.Sum(x => x.Reads);
                return total == 0 ? 0 : (double)s.Single(x => x.Name == "slow").Reads / total;
            };
        }

        try
        {
            // warm-up: pools opened, statements prepared, latency averages formed
            await Loop(read, concurrency, TimeSpan.FromSeconds(2), null);
            var histogram = new LatencyHistogram();
            var count = await Loop(read, concurrency, TimeSpan.FromSeconds(seconds), histogram);
            return (count / seconds, histogram.Summarize().P99Ms, slowShare());
        }
        finally
        {
            foreach (var d in disposables)
            {
                await d.DisposeAsync();
            }
        }
    }

    private static async Task<long> Loop(Func<int, ValueTask<string>> read, int concurrency, TimeSpan duration, LatencyHistogram? histogram)
    {
        long count = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var i = w;
            while (Stopwatch.GetTimestamp() < end)
            {
                var t0 = Stopwatch.GetTimestamp();
                await read(1 + (i++ * 7919 % Rows));
                histogram?.RecordTicks(Stopwatch.GetTimestamp() - t0);
                Interlocked.Increment(ref count);
            }
        }));
        return count;
    }

    private static async Task PrepareAsync(NpgsqlConnectionStringBuilder primary, List<NpgsqlConnectionStringBuilder> replicas)
    {
        var admin = new NpgsqlConnectionStringBuilder(primary.ConnectionString) { Database = "postgres" };
        await using (var adminSource = NpgsqlDataSource.Create(admin.ConnectionString))
        {
            await using var exists = adminSource.CreateCommand("SELECT count(*) FROM pg_database WHERE datname = 'pgopt_bench'");
            if ((long)(await exists.ExecuteScalarAsync())! == 0)
            {
                await using var create = adminSource.CreateCommand("CREATE DATABASE pgopt_bench");
                await create.ExecuteNonQueryAsync();
            }
        }

        await using (var source = NpgsqlDataSource.Create(primary.ConnectionString))
        await using (var setup = source.CreateCommand(
            $"CREATE TABLE IF NOT EXISTS kv (id int PRIMARY KEY, v text NOT NULL); INSERT INTO kv SELECT i, md5(i::text) FROM generate_series(1, {Rows}) i ON CONFLICT DO NOTHING; ANALYZE kv"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        foreach (var replica in replicas)
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await using var source = NpgsqlDataSource.Create(replica.ConnectionString);
                    await using var cmd = source.CreateCommand("SELECT count(*) FROM kv");
                    if ((long)(await cmd.ExecuteScalarAsync())! == Rows)
                    {
                        break;
                    }
                }
                catch (PostgresException) when (attempt < 100)
                {
                }

                await Task.Delay(100);
            }
        }
    }
}
