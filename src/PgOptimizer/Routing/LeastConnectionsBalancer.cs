using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>The replica with the fewest connections handed out by the manager (reads in flight), relative to its weight; ties in turn.</summary>
internal sealed class LeastConnectionsBalancer : ILoadBalancer
{
    private uint _next;

    public int Choose(List<PgEndpoint> candidates, long now)
    {
        var start = (int)(Interlocked.Increment(ref _next) % (uint)candidates.Count);
        var best = start;
        var bestLoad = double.MaxValue;
        for (var k = 0; k < candidates.Count; k++)
        {
            var i = (start + k) % candidates.Count;
            var load = (double)candidates[i].BusyConnections / candidates[i].Weight;
            if (load < bestLoad)
            {
                (best, bestLoad) = (i, load);
            }
        }

        return best;
    }
}
