namespace PgOptimizer.Monitoring;

/// <summary>Commands of one endpoint.</summary>
public sealed record EndpointSnapshot(string Name, long Calls, long Errors, string Histogram);
