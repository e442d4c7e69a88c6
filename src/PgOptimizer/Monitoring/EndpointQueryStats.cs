using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.Monitoring;

/// <summary>Live figures of one endpoint's commands.</summary>
public sealed class EndpointQueryStats(string name)
{
    private readonly LatencyHistogram _latency = new();
    private long _errors;

    public string Name { get; } = name;

    internal void Record(long micros, bool failed)
    {
        if (failed)
        {
            Interlocked.Increment(ref _errors);
        }

        _latency.RecordMicroseconds(micros);
    }

    public EndpointSnapshot Snapshot() => new(Name, _latency.Count, Interlocked.Read(ref _errors), LatencyHistogram.Encode(_latency.Snapshot()));
}
