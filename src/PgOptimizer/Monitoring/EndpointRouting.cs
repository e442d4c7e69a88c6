namespace PgOptimizer.Monitoring;

/// <summary>One replica endpoint as this instance routes to it: the lag probe's reading and whether it takes reads.</summary>
/// <param name="Endpoint">replica1, ...</param>
/// <param name="LagSeconds">Seconds behind (null when the probe failed or has not run).</param>
/// <param name="LagBytes">WAL bytes behind the primary (null when unknown).</param>
/// <param name="InRotation">Takes reads (false when lagging, unreachable or its circuit is open); null without replica routing.</param>
public sealed record EndpointRouting(string Endpoint, double? LagSeconds, long? LagBytes, bool? InRotation);
