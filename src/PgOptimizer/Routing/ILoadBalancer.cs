using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>One load-balancing strategy: picks one of the replicas that qualify for a read.</summary>
internal interface ILoadBalancer
{
    /// <summary>The index in <paramref name="candidates"/> (never empty) of the replica to use.</summary>
    int Choose(List<PgEndpoint> candidates, long now);
}
