using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Hosting;
using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Adoption;
using PgOptimizer.Tests.Infrastructure;
using PgOptimizer.Workload;
using Xunit.Abstractions;

namespace PgOptimizer.Tests.Reliability;

/// <summary>
/// Faults on the real servers while a closed-loop load of the demo workload runs through the
/// connection manager and the cache (the load test's own write check counts lost and doubled writes).
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class FaultsUnderLoadTests(DemoDatabase demo, ITestOutputHelper output) : IClassFixture<DemoDatabase>
{
    private sealed record Run(LoadTestResult Result, List<(double Seconds, long Operations, long Errors, long Hits, long Misses)> Timeline);

    private async Task<Run> LoadWhileAsync(Func<Func<double, Task>, Task> fault, TimeSpan duration)
    {
        var services = new ServiceCollection().AddLogging()
            .AddPgOptimizer(
                c =>
                {
                    c.ConnectionString = demo.Db.Connection;
                    c.ReplicaConnectionStrings.Add(TestServices.ReplicaFor(demo.Db.Name, 0));
                    c.ReplicaConnectionStrings.Add(TestServices.ReplicaFor(demo.Db.Name, 1));
                },
                r => { r.Url = TestServices.RedisUrl; r.Timeout = TimeSpan.FromSeconds(1); r.ApplicationName = "faults-" + Guid.NewGuid().ToString("N")[..8]; },
                configureCaching: PitchesCaching.AddStrategies)
            .AddPgOptimizerTools();
        await using var provider = services.BuildServiceProvider();
        var workload = await PitchesWorkload.LoadAsync(demo.Db.DataSource, "test");
        var timeline = new ConcurrentQueue<(double, long, long, long, long)>();
        var progress = new Progress<LoadTestProgress>(p => timeline.Enqueue((p.Run.Elapsed.TotalSeconds, p.Run.Operations, p.Run.Errors, p.Cache.Hits, p.Cache.Misses)));
        var plan = new LoadTestPlan { Options = new LoadTestOptions { Concurrency = 8, Duration = duration, Warmup = TimeSpan.FromSeconds(1) } };
        var run = provider.GetRequiredService<LoadTestService>().RunAsync(workload, WorkloadMix.Default(workload), plan, progress);
        // the fault's clock is the measured interval's (after the warm-up), from the progress reports
        async Task At(double seconds)
        {
            while (!run.IsCompleted && (timeline.IsEmpty || timeline.Last().Item1 < seconds))
            {
                await Task.Delay(50);
            }
        }

        await fault(At);
        var result = await run;
        output.WriteLine($"{result.Report.Run.Calls} requests, {result.Report.Run.Errors} failed, writes verified: {result.Report.WritesVerified} ({result.Report.RowsWritten} rows written, {result.Report.DatabaseRowsChanged} changed in the database, {result.Report.WritesInDoubt} in doubt), {result.Report.Run.Throughput:F0} req/s");
        return new Run(result, [.. timeline]);
    }

    [Fact]
    public async Task A_replica_killed_and_restarted_under_load_fails_no_request()
    {
        var down = Stopwatch.StartNew();
        var run = await LoadWhileAsync(async at =>
        {
            await at(4);
            await TestServices.ServicesAsync("stop", "replica");
            down.Restart();
            await at(8);
            await TestServices.ServicesAsync("start", "replica");
            output.WriteLine($"replica down for {down.Elapsed.TotalSeconds:F1} s");
        }, TimeSpan.FromSeconds(14));
        Assert.Equal(0, run.Result.Report.Run.Errors);
        Assert.True(run.Result.Report.WritesVerified);
    }

    [Fact]
    public async Task Redis_shut_down_and_restarted_under_load_fails_no_request_and_hits_return_within_ten_seconds()
    {
        var run = await LoadWhileAsync(async at =>
        {
            await at(5);
            await TestServices.ServicesAsync("stop", "redis");
            await at(8);
            await TestServices.ServicesAsync("start", "redis");
        }, TimeSpan.FromSeconds(20));
        Assert.Equal(0, run.Result.Report.Run.Errors);
        Assert.True(run.Result.Report.WritesVerified);
        // the hit rate from 10 s after the restart to the end, against the one from second 2 to 5
        var t = run.Timeline;
        double Rate(double from, double to)
        {
            var a = t.First(p => p.Seconds >= from);
            var b = t.Last(p => p.Seconds <= to);
            var (h, m) = (b.Hits - a.Hits, b.Misses - a.Misses);
            return h + m == 0 ? 0 : (double)h / (h + m);
        }

        var (before, after) = (Rate(2, 5), Rate(18, 20));
        output.WriteLine($"hit rate before the fault {before:P1}, from 10 s after the restart {after:P1}");
        Assert.True(before > 0.2, $"hit rate before the fault {before:P1}");
        Assert.True(after >= before * 0.9, $"hit rate {after:P1} 10 s after Redis returned, {before:P1} before");
    }

    [Fact]
    public async Task The_primary_restarted_under_load_loses_and_doubles_no_write_and_reads_continue()
    {
        long opsAtStop = 0, opsAtStart = 0;
        var run = await LoadWhileAsync(async at =>
        {
            await at(4);
            await TestServices.ServicesAsync("stop", "primary");
            await at(5); // the clock moves only while requests complete: reads on the replicas
            opsAtStop = 1;
            await TestServices.ServicesAsync("start", "primary");
            opsAtStart = 1;
        }, TimeSpan.FromSeconds(14));
        var report = run.Result.Report;
        output.WriteLine($"failed: {report.Run.Errors} of {report.Run.Calls + report.Run.Errors}");
        Assert.Equal((1L, 1L), (opsAtStop, opsAtStart));
        // none lost, none doubled; a write whose connection broke as it committed may count or not
        Assert.True(report.WritesVerified, "a write was lost or applied twice");
        Assert.InRange(report.DatabaseRowsChanged, report.RowsWritten, report.RowsWritten + report.WritesInDoubt);
        Assert.True(report.Run.Errors < (report.Run.Calls + report.Run.Errors) / 10, $"{report.Run.Errors} failures");
    }
}
