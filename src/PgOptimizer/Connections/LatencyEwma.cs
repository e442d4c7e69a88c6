using System.Diagnostics;

namespace PgOptimizer.Connections;

/// <summary>
/// Exponentially weighted moving averages of an endpoint's attempt latency, decayed by time so a
/// busy and a quiet endpoint age alike, with each sample weighing at least
/// <see cref="MinSampleWeight"/>: a plain average, and a peak-sensitive one that jumps to any slower
/// sample at once and decays toward zero while the endpoint is idle, so a slow endpoint is avoided
/// within a request or two and tried again after a while.
/// The plain average is kept robust against one-off spikes, which would otherwise steer the
/// latency-based strategy away from a good replica for many seconds: its first samples form a plain
/// mean (sample n weighs at least 1/n), so a slow first query (a new server process loading its
/// catalog caches) is not taken as the endpoint's latency, and a later sample counts at most
/// <see cref="OutlierFactor"/> times the average, so one stall (a GC pause, a busy machine) moves it
/// a little while an endpoint that stays slow still raises it by nearly half per sample.
/// </summary>
internal sealed class LatencyEwma(TimeSpan decay)
{
    private readonly object _gate = new();
    private readonly double _tauTicks = Math.Max(1, decay.TotalSeconds * Stopwatch.Frequency);
    private double _average;
    private double _peak;
    private long _stamp;
    private long _samples;

    /// <summary>The least weight of one sample in the averages.</summary>
    internal const double MinSampleWeight = 0.05;

    /// <summary>The most one sample counts for in the plain average, as a multiple of that average.</summary>
    internal const double OutlierFactor = 10;

    /// <summary>Samples observed.</summary>
    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>Records one attempt's duration.</summary>
    public void Observe(long elapsedTicks, long now)
    {
        var ms = elapsedTicks * 1000.0 / Stopwatch.Frequency;
        lock (_gate)
        {
            if (_samples == 0)
            {
                (_average, _peak) = (ms, ms);
            }
            else
            {
                var w = Math.Min(Math.Exp(-Math.Max(0, now - _stamp) / _tauTicks), 1 - MinSampleWeight);
                var a = Math.Min(w, 1 - (1.0 / (_samples + 1)));
                _average = (_average * a) + (Math.Min(ms, Math.Max(_average, 0.1) * OutlierFactor) * (1 - a));
                _peak = ms > _peak ? ms : (_peak * w) + (ms * (1 - w));
            }

            _stamp = now;
            _samples++;
        }
    }

    /// <summary>The plain average in milliseconds (null before a sample).</summary>
    public double? AverageMs
    {
        get
        {
            lock (_gate)
            {
                return _samples == 0 ? null : _average;
            }
        }
    }

    /// <summary>The peak-sensitive average in milliseconds, decayed toward zero for the time since the last sample.</summary>
    public double PeakMs(long now)
    {
        lock (_gate)
        {
            return _samples == 0 ? 0 : _peak * Math.Exp(-Math.Max(0, now - _stamp) / _tauTicks);
        }
    }
}
