using System.Diagnostics;
using HdrHistogram;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>The result of a workload run.</summary>
public sealed record WorkloadReport(string Workload, string Executor, int Concurrency, TimeSpan Elapsed, IReadOnlyList<OperationReport> Operations, LatencySummary Latency)
{
    public long Calls => Operations.Sum(o => o.Calls);

    public long Errors => Operations.Sum(o => o.Errors);

    public double Throughput => Elapsed.TotalSeconds <= 0 ? 0 : Calls / Elapsed.TotalSeconds;

    /// <summary>Rows written by successful write operations.</summary>
    public long RowsWritten => Operations.Where(o => o.Intent == Connections.DbIntent.Write).Sum(o => o.Rows);
}
