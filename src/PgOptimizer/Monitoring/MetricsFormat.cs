namespace PgOptimizer.Monitoring;

/// <summary>How metrics are exported.</summary>
public enum MetricsFormat
{
    /// <summary>Prometheus text exposition format 0.0.4.</summary>
    Prometheus,

    /// <summary>One JSON document.</summary>
    Json,
}
