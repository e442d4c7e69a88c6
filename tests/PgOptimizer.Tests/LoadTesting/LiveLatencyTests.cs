using Microsoft.Extensions.Time.Testing;
using PgOptimizer.LoadTesting;

namespace PgOptimizer.Tests.LoadTesting;

public sealed class LiveLatencyTests
{
    [Fact]
    public void P95_covers_the_last_window_only()
    {
        var time = new FakeTimeProvider();
        var live = new LiveLatency(TimeSpan.FromSeconds(1), time);
        Assert.Null(live.P95Ms());

        for (var i = 0; i < 90; i++)
        {
            live.Record(1_000); // 1 ms
        }

        for (var i = 0; i < 10; i++)
        {
            live.Record(50_000); // 50 ms
        }

        Assert.InRange(live.P95Ms()!.Value, 49.5, 50.5);

        // two seconds later the slow second has left the window
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(live.P95Ms());
        for (var i = 0; i < 5; i++)
        {
            live.Record(2_000);
        }

        Assert.InRange(live.P95Ms()!.Value, 1.98, 2.02);
    }
}
