namespace PgOptimizer.Connections;

/// <summary>
/// Chooses the endpoint for one read attempt. Without replica routing (AddPgRouting) the manager
/// round-robins over replicas that accept requests and falls back to the primary.
/// </summary>
public interface IReaderSelector
{
    /// <summary>
    /// The endpoint the read goes to: one of the request's replicas, or its primary when none
    /// qualifies. When the chosen endpoint's circuit is not closed, the selector claims its probe
    /// (<see cref="PgEndpoint.TryClaimProbe"/>) before returning it.
    /// </summary>
    PgEndpoint SelectReader(in ReadRequest request);
}
