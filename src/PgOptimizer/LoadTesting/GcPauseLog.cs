using System.Diagnostics.Tracing;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Every pause the runtime makes this process's threads take for a garbage collection, from the
/// runtime's own events (the suspension's start to the threads' restart), so that a report can
/// give the longest of an interval beside their sum: one long pause stops an open-loop generator
/// and every request due meanwhile.
/// </summary>
internal sealed class GcPauseLog : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int RestartEnd = 3;    // GCRestartEEEnd_V1
    private const int SuspendBegin = 9;  // GCSuspendEEBegin_V1
    private const uint ForGc = 1;        // SUSPEND_FOR_GC
    private const uint ForGcPrep = 6;    // SUSPEND_FOR_GC_PREP
    private readonly List<double> _pausesMs = [];
    private long _suspendedAt;

    /// <summary>Pauses logged so far.</summary>
    public int Count
    {
        get
        {
            lock (_pausesMs)
            {
                return _pausesMs.Count;
            }
        }
    }

    /// <summary>The longest of the pauses logged between two counts, in ms; null when there was none.</summary>
    public double? LongestMs(int from, int to)
    {
        lock (_pausesMs)
        {
            double? longest = null;
            for (var i = Math.Max(0, from); i < Math.Min(to, _pausesMs.Count); i++)
            {
                longest = Math.Max(longest ?? 0, _pausesMs[i]);
            }

            return longest;
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId == SuspendBegin)
        {
            var reason = eventData.Payload is { Count: > 0 } p && p[0] is uint r ? r : 0;
            Volatile.Write(ref _suspendedAt, reason is ForGc or ForGcPrep ? eventData.TimeStamp.Ticks : 0);
        }
        else if (eventData.EventId == RestartEnd && Interlocked.Exchange(ref _suspendedAt, 0) is var started and > 0)
        {
            var ms = (eventData.TimeStamp.Ticks - started) / (double)TimeSpan.TicksPerMillisecond;
            lock (_pausesMs)
            {
                _pausesMs.Add(ms);
            }
        }
    }
}
