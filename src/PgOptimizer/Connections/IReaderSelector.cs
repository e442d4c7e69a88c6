namespace PgOptimizer.Connections;

/// <summary>
/// Chooses the endpoint for one read attempt. The default round-robins over replicas that accept
/// requests (circuit closed, or due for a probe) and falls back to the primary; replica routing replaces it with a lag-aware balancer.
/// </summary>
public interface IReaderSelector
{
    /// <summary>The endpoint a read goes to: one of <paramref name="replicas"/>, or <paramref name="primary"/> when none can take it.</summary>
    PgEndpoint SelectReader(PgEndpoint primary, IReadOnlyList<PgEndpoint> replicas);
}
