using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

/// <summary>Live figures of one endpoint's commands.</summary>
internal sealed class EndpointQueryStats(string name)
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

    public EndpointSnapshot Snapshot() => new(Name, _latency.Count, Interlocked.Read(ref _errors), _latency.EncodeSnapshot());
}
