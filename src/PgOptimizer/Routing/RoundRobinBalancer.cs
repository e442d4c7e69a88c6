using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>In turn.</summary>
internal sealed class RoundRobinBalancer : ILoadBalancer
{
    private uint _next;

    public int Choose(List<PgEndpoint> candidates, long now) => (int)(Interlocked.Increment(ref _next) % (uint)candidates.Count);
}
