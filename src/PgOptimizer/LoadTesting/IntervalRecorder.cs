using System.Threading.Channels;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Cuts a measured run into intervals: the runner's progress reports (every quarter second) mark
/// where one ends, and a reader off the runner's path then takes the CPU and cache readings, so the
/// workers never wait for them. The reading follows the boundary's report by the same few
/// milliseconds each time, so the intervals' CPU lines up with their requests.
/// </summary>
internal sealed class IntervalRecorder
{
    private readonly TimeSpan _interval;
    private readonly CpuMeter _cpu;
    private readonly Func<CacheTotals>? _cache;
    private readonly Action<LoadTestInterval>? _onInterval;
    private readonly Channel<WorkloadProgress> _boundaries = Channel.CreateUnbounded<WorkloadProgress>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly List<LoadTestInterval> _intervals = [];
    private readonly Task _reader;
    private TimeSpan _next;
    private bool _started;

    public IntervalRecorder(TimeSpan interval, CpuMeter cpu, Func<CacheTotals>? cache, Action<LoadTestInterval>? onInterval)
    {
        _interval = interval;
        _cpu = cpu;
        _cache = cache;
        _onInterval = onInterval;
        _next = interval;
        _reader = ReadAsync();
    }

    /// <summary>The intervals recorded so far (all of them after <see cref="CompleteAsync"/>).</summary>
    public IReadOnlyList<LoadTestInterval> Intervals => _intervals;

    /// <summary>A progress report of the measured run (called on the runner's reporting loop).</summary>
    public void Observe(WorkloadProgress progress)
    {
        if (!_started)
        {
            // The open loop reports from its warm-up on, at zero measured time: the first report
            // past zero opens the first interval.
            if (progress.Elapsed <= TimeSpan.Zero && progress.Operations == 0)
            {
                return;
            }

            _started = true;
            _next = progress.Elapsed + _interval;
            _boundaries.Writer.TryWrite(progress);
            return;
        }

        if (progress.Elapsed >= _next)
        {
            _next += _interval * Math.Max(1, Math.Floor((progress.Elapsed - _next) / _interval) + 1);
            _boundaries.Writer.TryWrite(progress);
        }
    }

    /// <summary>Stops at the last whole interval (as pgbench does) and waits for its readings.</summary>
    public async Task<IReadOnlyList<LoadTestInterval>> CompleteAsync()
    {
        _boundaries.Writer.TryComplete();
        await _reader.ConfigureAwait(false);
        return _intervals;
    }

    private async Task ReadAsync()
    {
        WorkloadProgress? previous = null;
        CpuReading cpuBefore = default;
        CacheTotals cacheBefore = default;
        await foreach (var boundary in _boundaries.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var cpu = await _cpu.ReadAsync().ConfigureAwait(false);
            var cache = _cache?.Invoke() ?? default;
            if (previous is { } p && boundary.Elapsed > p.Elapsed)
            {
                var requests = boundary.Operations + boundary.Errors - p.Operations - p.Errors;
                var interval = new LoadTestInterval(
                    boundary.Elapsed,
                    (boundary.Elapsed - p.Elapsed).TotalSeconds,
                    requests,
                    boundary.Errors - p.Errors,
                    boundary.RecentP95Ms,
                    _cache is null ? null : cache.Since(cacheBefore).HitRatio,
                    cpu.Since(cpuBefore, requests));
                _intervals.Add(interval);
                _onInterval?.Invoke(interval);
            }

            previous = boundary;
            cpuBefore = cpu;
            cacheBefore = cache;
        }
    }
}
