using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// Point-read throughput through the connection manager with client-side query tracking off, on
/// through Npgsql's command activities (what PgOptimizer uses: no application change), and on
/// through a command wrapper (the application's code times each command and calls
/// QueryTracker.Record itself). Variants alternate in rotating order each round, so the drift of a
/// shared machine hits all alike. Usage: PgOptimizer.Benchmarks tracking [concurrency] [rounds] [seconds]
/// </summary>
internal static class TrackingOverhead
{
    private const string Sql = "SELECT v FROM kv WHERE id = $1";

    public static async Task<int> RunAsync(string[] args)
    {
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 9;
        var seconds = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        var bench = new PointReadBenchmarks { Concurrency = concurrency };
        await bench.Setup();
        await bench.Cleanup(); // only for the table; this benchmark builds its own manager
        var target = new NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(BenchEnvironment.Get("PGOPT_CONNECTION")).ConnectionString) { Database = "pgopt_bench" };
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = target.ConnectionString }));
        using var wrapperTracker = new QueryTracker(manager, Options.Create(new MonitoringOptions { TrackQueries = false }));

        var names = new[] { "off", "npgsql-activity", "wrapper" };
        var totals = new double[3];
        var ratios = new List<double>[] { [], [], [] };
        Console.WriteLine($"point reads via the connection manager, {concurrency} callers, {rounds} rounds of {seconds}s per variant");
        Console.WriteLine("round  off ops/s  activity ops/s  wrapper ops/s  activity/off  wrapper/off");
        for (var r = 0; r < rounds; r++)
        {
            var ops = new double[3];
            for (var k = 0; k < 3; k++)
            {
                var v = (r + k) % 3;
                ops[v] = v switch
                {
                    0 => await ThroughputComparison.MeasureAsync(id => Read(manager, id), concurrency, seconds),
                    1 => await WithActivityTrackingAsync(manager, () => ThroughputComparison.MeasureAsync(id => Read(manager, id), concurrency, seconds)),
                    _ => await ThroughputComparison.MeasureAsync(id => WrappedRead(manager, wrapperTracker, id), concurrency, seconds),
                };
            }

            for (var v = 0; v < 3; v++)
            {
                totals[v] += ops[v];
                ratios[v].Add(ops[v] / ops[0]);
            }

            Console.WriteLine($"{r + 1,5}  {ops[0],9:F0}  {ops[1],14:F0}  {ops[2],13:F0}  {ops[1] / ops[0],12:F3}  {ops[2] / ops[0],11:F3}");
        }

        for (var v = 1; v < 3; v++)
        {
            var sorted = ratios[v].Order().ToList();
            Console.WriteLine($"{names[v]}: ratio of means {totals[v] / totals[0]:F3}, median ratio {sorted[sorted.Count / 2]:F3} (min {sorted[0]:F3}, max {sorted[^1]:F3})");
        }

        return 0;
    }

    private static async Task<double> WithActivityTrackingAsync(PgConnectionManager manager, Func<Task<double>> measure)
    {
        using var tracker = new QueryTracker(manager, Options.Create(new MonitoringOptions()));
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

    private static ValueTask<string> WrappedRead(PgConnectionManager manager, QueryTracker tracker, int id) =>
        manager.ExecuteAsync(DbIntent.Read, (id, tracker), static async (conn, s, ct) =>
        {
            await using var cmd = new NpgsqlCommand(Sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = s.id });
            var started = Stopwatch.GetTimestamp();
            string? error = null;
            try
            {
                return (string)(await cmd.ExecuteScalarAsync(ct))!;
            }
            catch (PostgresException ex)
            {
                error = ex.SqlState;
                throw;
            }
            finally
            {
                s.tracker.Record(Sql, "primary", Stopwatch.GetTimestamp() - started, 1, error);
            }
        });
}
