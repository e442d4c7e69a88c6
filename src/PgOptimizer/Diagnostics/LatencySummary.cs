namespace PgOptimizer.Diagnostics;

/// <summary>Latency figures in milliseconds.</summary>
public sealed record LatencySummary(long Count, double MeanMs, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    /// <summary>The summary of nothing recorded.</summary>
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0);
}
