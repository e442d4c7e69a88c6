using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>The result of a workload run.</summary>
public sealed record WorkloadReport(string Workload, string Executor, int Concurrency, TimeSpan Elapsed, IReadOnlyList<OperationReport> Operations, LatencySummary Latency)
{
    /// <summary>Successful operations.</summary>
    public long Calls => Operations.Sum(o => o.Calls);

    /// <summary>Failed operations.</summary>
    public long Errors => Operations.Sum(o => o.Errors);

    /// <summary>Successful operations per second.</summary>
    public double Throughput => Elapsed.TotalSeconds <= 0 ? 0 : Calls / Elapsed.TotalSeconds;

    /// <summary>Rows written by successful write operations.</summary>
    public long RowsWritten => Operations.Where(o => o.Intent == Connections.DbIntent.Write).Sum(o => o.Rows);
}
