using System.Text.Json.Serialization;
using PgOptimizer.Diagnostics;
using PgOptimizer.LoadTesting;

namespace PgOptimizer.Samples.Pitches;

/// <summary>One load test of the demo (before, after or raw), in the shape of its report.json entry.</summary>
public sealed record DemoPhase([property: JsonIgnore] string Name, [property: JsonIgnore] LoadTestResult Result)
{
    private LoadTestReport Load => Result.Report;

    /// <summary>Requests per second.</summary>
    public double Throughput => Load.Run.Throughput;

    /// <summary>Latency of the whole run.</summary>
    public LatencySummary Latency => Load.Run.Latency;

    /// <summary>Requests, failed ones included.</summary>
    public long Requests => Load.Run.Calls + Load.Run.Errors;

    /// <summary>Failed requests.</summary>
    public long Errors => Load.Run.Errors;

    /// <summary>Cache hit rate of the run; null without a cache.</summary>
    public double? CacheHitRate => Result.CacheHitRate;

    /// <summary>What an ideal cache would have hit on the same requests.</summary>
    public double? IdealCacheHitRate => Result.IdealCacheHitRate;

    /// <summary>What an ideal cache honouring the writes' invalidations would have hit; null unless the cache started empty.</summary>
    public double? IdealCacheHitRateWithInvalidation => Result.IdealCacheHitRateWithInvalidation;

    /// <summary>Share of requests whose plan scans no large table sequentially.</summary>
    public double? IndexCoverage => Result.Coverage?.ByCalls;

    /// <summary>Peak connections open on the servers (busy and idle).</summary>
    public int PeakDatabaseConnections => Load.PeakDatabaseConnections;

    /// <summary>Peak connections running a statement or in a transaction.</summary>
    public int PeakBusyDatabaseConnections => Load.PeakBusyDatabaseConnections;

    /// <summary>Rows the successful writes reported.</summary>
    public long RowsWritten => Load.RowsWritten;

    /// <summary>Rows the database counted as changed.</summary>
    public long DatabaseRowsChanged => Load.DatabaseRowsChanged;

    /// <summary>True when both counts match.</summary>
    public bool WritesVerified => Load.WritesVerified;

    /// <summary>Per-operation figures.</summary>
    public IReadOnlyList<OperationReport> Operations => Load.Run.Operations;

    /// <summary>CPU of the client, PostgreSQL and Redis over the measured interval, and per request; null when not measured.</summary>
    public CpuUsage? Cpu => Load.Cpu;

    /// <summary>The endpoints and pool sizes the run used.</summary>
    public string RunsOn => Result.RunsOn;

    /// <summary>Share of requests that succeeded.</summary>
    [JsonIgnore]
    public double SuccessRate => Load.SuccessRate;
}
