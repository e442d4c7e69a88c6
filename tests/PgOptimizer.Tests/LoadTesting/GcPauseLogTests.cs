using System.Diagnostics;
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
