using System.Diagnostics;
using HdrHistogram;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>Live figures while a workload runs.</summary>
/// <summary>Progress of a run: time, operations and errors so far, and the p95 latency of about the last second (null before any).</summary>
public readonly record struct WorkloadProgress(TimeSpan Elapsed, TimeSpan Duration, long Operations, long Errors, double? RecentP95Ms = null);

/// <summary>
/// Replays a workload in a closed loop: each worker draws an operation from the mix and its
/// parameters from the skewed generators, runs it through an executor and records its latency in
/// an HdrHistogram. The load tester builds its open-loop mode on the same pieces.
/// </summary>
public sealed partial class WorkloadRunner(ILogger<WorkloadRunner>? logger = null)
{
    private const long HighestTrackableMicros = 3_600_000_000; // one hour
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public async Task<WorkloadReport> RunAsync(
        IWorkload workload,
        WorkloadMix mix,
        IOperationExecutor executor,
        WorkloadOptions options,
        Func<int, WorkloadRandom> randomFactory,
        IProgress<WorkloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(randomFactory);
        options.Validate();

        var index = workload.Operations.Select((o, i) => (o, i)).ToDictionary(x => x.o.Name, x => x.i);
        var workers = new WorkerState[options.Concurrency];
        long total = 0;
        long errors = 0;
        var live = progress is null ? null : new LiveLatency(TimeSpan.FromSeconds(1));
        // The deadline stops workers from starting new operations; operations in flight complete
        // (cancelling them would leave writes the database may still commit but nobody counted).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);

        async Task Worker(int w)
        {
            var state = workers[w] = new WorkerState(workload.Operations.Count);
            var random = randomFactory(options.Seed + w);
            while (!stop.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline)
            {
                if (options.MaxOperations > 0 && Interlocked.Increment(ref total) > options.MaxOperations)
                {
                    break;
                }

                var op = mix.Next(random.Random);
                var args = op.Parameters(random);
                var slot = index[op.Name];
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    var rows = await executor.ExecuteAsync(op, args, stop.Token).ConfigureAwait(false);
                    var micros = (long)Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                    state.Record(slot, micros, rows);
                    live?.Record(micros);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break; // the caller cancelled the run while this call was in flight
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
                {
                    state.Errors[slot]++;
                    state.FirstErrors[slot] ??= $"{ex.GetType().Name}: {ex.Message}";
                    Interlocked.Increment(ref errors);
                    if (state.Errors[slot] <= 3)
                    {
                        LogOperationFailed(_logger, op.Name, ex.GetType().Name, ex.Message);
                    }
                }

                if (options.MaxOperations == 0)
                {
                    Interlocked.Increment(ref total);
                }
            }
        }

        var tasks = Enumerable.Range(0, options.Concurrency).Select(i => Task.Run(() => Worker(i), CancellationToken.None)).ToArray();
        var allDone = Task.WhenAll(tasks);
        if (progress is not null)
        {
            while (await Task.WhenAny(allDone, Task.Delay(250, CancellationToken.None)).ConfigureAwait(false) != allDone)
            {
                progress.Report(new WorkloadProgress(Stopwatch.GetElapsedTime(started), options.Duration, Interlocked.Read(ref total), Interlocked.Read(ref errors), live!.P95Ms()));
            }
        }

        await allDone.ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        cancellationToken.ThrowIfCancellationRequested();

        var perOp = new List<OperationReport>();
        var all = new LongHistogram(HighestTrackableMicros, 3);
        for (var i = 0; i < workload.Operations.Count; i++)
        {
            var h = new LongHistogram(HighestTrackableMicros, 3);
            long calls = 0, errs = 0, rows = 0;
            string? firstError = null;
            foreach (var w in workers.Where(w => w is not null))
            {
                h.Add(w.Histograms[i]);
                calls += w.Calls[i];
                errs += w.Errors[i];
                rows += w.Rows[i];
                firstError ??= w.FirstErrors[i];
            }

            all.Add(h);
            var op = workload.Operations[i];
            if (calls + errs > 0)
            {
                perOp.Add(new OperationReport(op.Name, op.Intent, calls, errs, rows, LatencySummary.From(h)) { FirstError = firstError });
            }
        }

        return new WorkloadReport(workload.Name, executor.Name, options.Concurrency, elapsed, perOp, LatencySummary.From(all));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {Operation} failed: {Type}: {Message}")]
    private static partial void LogOperationFailed(ILogger logger, string operation, string type, string message);

    private sealed class WorkerState
    {
        public WorkerState(int ops)
        {
            Histograms = Enumerable.Range(0, ops).Select(_ => new LongHistogram(HighestTrackableMicros, 3)).ToArray();
            Calls = new long[ops];
            Errors = new long[ops];
            Rows = new long[ops];
            FirstErrors = new string?[ops];
        }

        public string?[] FirstErrors { get; }

        public LongHistogram[] Histograms { get; }

        public long[] Calls { get; }

        public long[] Errors { get; }

        public long[] Rows { get; }

        public void Record(int slot, long micros, int rows)
        {
            Histograms[slot].RecordValue(Math.Clamp(micros, 1, HighestTrackableMicros));
            Calls[slot]++;
            Rows[slot] += rows;
        }
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(double MeanMs, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public static LatencySummary From(HistogramBase h)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.TotalCount == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0);
        }

        static double Ms(double micros) => Math.Round(micros / 1000.0, 3);
        return new LatencySummary(Ms(h.GetMean()), Ms(h.GetValueAtPercentile(50)), Ms(h.GetValueAtPercentile(95)), Ms(h.GetValueAtPercentile(99)), Ms(h.GetMaxValue()));
    }
}

/// <summary>Figures of one operation in a run.</summary>
public sealed record OperationReport(string Name, Connections.DbIntent Intent, long Calls, long Errors, long Rows, LatencySummary Latency)
{
    /// <summary>The first failure's type and message (null when none failed): what to look at first.</summary>
    public string? FirstError { get; init; }
}

/// <summary>The result of a workload run.</summary>
public sealed record WorkloadReport(string Workload, string Executor, int Concurrency, TimeSpan Elapsed, IReadOnlyList<OperationReport> Operations, LatencySummary Latency)
{
    public long Calls => Operations.Sum(o => o.Calls);

    public long Errors => Operations.Sum(o => o.Errors);

    public double Throughput => Elapsed.TotalSeconds <= 0 ? 0 : Calls / Elapsed.TotalSeconds;

    /// <summary>Rows written by successful write operations.</summary>
    public long RowsWritten => Operations.Where(o => o.Intent == Connections.DbIntent.Write).Sum(o => o.Rows);
}
