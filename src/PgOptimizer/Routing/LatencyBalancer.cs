using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>
/// The replica with the lowest time-decayed average latency. One read in <see cref="ExploreEvery"/>
/// goes to another in turn, so a replica that was slow and recovered is noticed.
/// </summary>
internal sealed class LatencyBalancer : ILoadBalancer
{
    internal const int ExploreEvery = 20;
    private uint _next;

    public int Choose(List<PgEndpoint> candidates, long now)
    {
        var n = Interlocked.Increment(ref _next);
        if (n % ExploreEvery == 0)
        {
            return (int)(n / ExploreEvery % (uint)candidates.Count);
        }

        var best = 0;
        var bestMs = double.MaxValue;
        for (var i = 0; i < candidates.Count; i++)
        {
            var ms = candidates[i].LatencyEwmaMs ?? 0; // unmeasured: try it
            if (ms < bestMs)
            {
                (best, bestMs) = (i, ms);
            }
        }

        return best;
    }
}
