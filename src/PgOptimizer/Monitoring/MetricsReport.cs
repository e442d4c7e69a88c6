namespace PgOptimizer.Monitoring;

/// <summary>Everything one export contains.</summary>
public sealed record MetricsReport(
    ClientSnapshot Client,
    ServerSnapshot? Server,
    ServerInterval? Interval,
    IReadOnlyList<Alert> Alerts,
    HealthLevel? Overall,
    int TopStatements = 10)
{
    /// <summary>This instance's replicas: lag from its probe and whether its router sends them reads.</summary>
    public IReadOnlyList<EndpointRouting> Routing { get; init; } = [];
}
