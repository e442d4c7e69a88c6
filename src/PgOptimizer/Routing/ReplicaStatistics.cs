using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>One endpoint as routing sees it.</summary>
/// <param name="Name">replica1, ... or primary.</param>
/// <param name="Role">Primary or replica.</param>
/// <param name="State">In rotation, lagging, unreachable, circuit open or probing (the primary is always in rotation).</param>
/// <param name="Weight">Configured weight.</param>
/// <param name="Region">Region, when known.</param>
/// <param name="Reads">Reads routed here since start.</param>
/// <param name="Share">Share of all routed reads (0–1).</param>
/// <param name="Errors">Failed attempts here since start.</param>
/// <param name="InFlight">Connections handed out right now.</param>
/// <param name="LatencyEwmaMs">Time-decayed mean attempt latency, ms.</param>
/// <param name="LatencyP99Ms">p99 of attempt latency since start, ms.</param>
/// <param name="LagSeconds">Seconds behind, as of the latest probe.</param>
/// <param name="LagBytes">WAL bytes behind the primary, as of the latest probe.</param>
/// <param name="LagError">Why the latest probe failed, if it did.</param>
public sealed record ReplicaStatistics(
    string Name,
    EndpointRole Role,
    ReplicaState State,
    int Weight,
    string? Region,
    long Reads,
    double Share,
    long Errors,
    int InFlight,
    double? LatencyEwmaMs,
    double? LatencyP99Ms,
    double? LagSeconds,
    long? LagBytes,
    string? LagError);
