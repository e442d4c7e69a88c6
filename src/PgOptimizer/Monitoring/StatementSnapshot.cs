using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

/// <summary>Cumulative figures of one normalized statement; <see cref="Histogram"/> is an encoded HdrHistogram (µs).</summary>
public sealed record StatementSnapshot(string Id, string Sql, long Calls, long Errors, long Rows, double TotalMs, double MaxMs, string Histogram)
{
    /// <summary>Mean time in milliseconds.</summary>
    public double MeanMs => Calls == 0 ? 0 : Math.Round(TotalMs / Calls, 3);

    /// <summary>The statement's latency percentiles.</summary>
    public LatencySummary Latency() => LatencyHistogram.Summarize(LatencyHistogram.Decode(Histogram));
}
