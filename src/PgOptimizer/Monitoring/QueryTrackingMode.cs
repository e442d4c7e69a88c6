namespace PgOptimizer.Monitoring;

/// <summary>How client-side query tracking times commands.</summary>
public enum QueryTrackingMode
{
    /// <summary>
    /// The connection manager times the commands on the connections it hands out (cheapest); Npgsql's
    /// activities only for other connections of its data sources.
    /// </summary>
    ConnectionManager,

    /// <summary>Every command through Npgsql's command activities (what OpenTelemetry sees; costs more).</summary>
    NpgsqlActivities,
}
