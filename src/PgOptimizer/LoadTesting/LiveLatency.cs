using HdrHistogram;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Latency of the last second or so, for live progress: callers record from any thread (HdrHistogram's
/// <see cref="Recorder"/>, no locks); the progress loop takes interval histograms and keeps the ones
/// that cover the window.
/// </summary>
internal sealed class LiveLatency(TimeSpan window, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Recorder _recorder = new(LatencyHistogram.Lowest, LatencyHistogram.Highest, LatencyHistogram.Digits, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
    private readonly Queue<(long At, HistogramBase Interval)> _intervals = new();
    private HistogramBase? _recycle;

    public void Record(long micros) => _recorder.RecordValue(LatencyHistogram.Clamp(micros));

    /// <summary>p95 in milliseconds over the window, or null before anything was recorded in it.</summary>
    public double? P95Ms()
    {
        var now = _time.GetTimestamp();
        var interval = _recorder.GetIntervalHistogram(_recycle);
        _recycle = null;
        _intervals.Enqueue((now, interval));
        var windowTicks = (long)(window.TotalSeconds * _time.TimestampFrequency);
        while (_intervals.Count > 1 && now - _intervals.Peek().At > windowTicks)
        {
            _recycle = _intervals.Dequeue().Interval;
        }

        var sum = LatencyHistogram.CreateEmpty();
        foreach (var (_, h) in _intervals)
        {
            sum.Add(h);
        }

        return sum.TotalCount == 0 ? null : sum.GetValueAtPercentile(95) / 1000.0;
    }
}
