using System.Diagnostics;
using PgOptimizer.Diagnostics;
using PgOptimizer.LoadTesting;

namespace PgOptimizer.Tests.LoadTesting;

public sealed class GcPauseLogTests
{
    [Fact]
    public async Task A_blocking_collection_is_logged_with_its_pause()
    {
        using var log = new GcPauseLog();
        var before = log.Count;
        Assert.Null(log.LongestMs(before, before));

        // The runtime's events reach the listener from its own thread, a little later: collect until
        // one has arrived (each collection is a pause of its own).
        var deadline = Stopwatch.StartNew();
        while (log.Count == before && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            await Task.Delay(50);
        }

        Assert.True(log.Count > before, "no GC pause was logged in 20 s of forced collections");
        var longest = log.LongestMs(before, log.Count);
        Assert.NotNull(longest);
        Assert.InRange(longest!.Value, 0.0001, 5_000);
        Assert.Null(log.LongestMs(log.Count, log.Count)); // an interval without pauses has none
    }
}

public sealed class CollectorTailTests
{
    private static readonly WorkloadReport Run = new("w", "e", 1, TimeSpan.FromSeconds(1), [], new LatencySummary(0, 0, 0, 0, 0, 0));

    [Theory]
    [InlineData(true, 25.0, 20.0, true)]    // open loop, a pause longer than the service time's p99
    [InlineData(true, 15.0, 20.0, false)]   // open loop, pauses shorter than it
    [InlineData(false, 25.0, 20.0, false)]  // closed loop: nothing waits on a schedule
    [InlineData(true, null, 20.0, false)]   // pauses not measured
    public void A_pause_longer_than_the_service_time_p99_is_said_to_set_an_open_loop_tail(bool openLoop, double? longestPauseMs, double serviceP99Ms, bool expected)
    {
        var service = new LatencySummary(100, 5, 4, 10, serviceP99Ms, 30);
        var report = new LoadTestReport("test", Run, openLoop ? 100 : null, service, 0, 1, 0, 0, true)
        {
            GeneratorLag = openLoop ? new LatencySummary(100, 0.1, 0.1, 0.2, 0.3, 0.5) : null,
            Cpu = new CpuUsage(10, 1000, 1, null, null, null, 2) { ClientGcLongestPauseMs = longestPauseMs },
        };
        Assert.Equal(expected, report.CollectorPausesSetTheTail);
    }
}
