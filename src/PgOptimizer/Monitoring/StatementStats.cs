using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

/// <summary>Live figures of one normalized statement.</summary>
internal sealed class StatementStats(string id, string sql)
{
    private readonly LatencyHistogram _latency = new();
    private long _calls;
    private long _errors;
    private long _rows;
    private long _totalMicros;
    private long _maxMicros;

    public string Id { get; } = id;

    public string Sql { get; } = sql;

    public long Calls => Interlocked.Read(ref _calls);

    public long Errors => Interlocked.Read(ref _errors);

    internal void Record(long micros, long rows, bool failed)
    {
        Interlocked.Increment(ref _calls);
        if (failed)
        {
            Interlocked.Increment(ref _errors);
        }

        if (rows > 0)
        {
            Interlocked.Add(ref _rows, rows);
        }

        Interlocked.Add(ref _totalMicros, micros);
        long max;
        while (micros > (max = Interlocked.Read(ref _maxMicros)) && Interlocked.CompareExchange(ref _maxMicros, micros, max) != max)
        {
        }

        _latency.RecordMicroseconds(micros);
    }

    public StatementSnapshot Snapshot() => new(
        Id, Sql, Calls, Errors, Interlocked.Read(ref _rows), Interlocked.Read(ref _totalMicros) / 1000.0, Interlocked.Read(ref _maxMicros) / 1000.0,
        _latency.EncodeSnapshot());
}
