using System.Diagnostics;
using HdrHistogram;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Replays a workload in a closed loop: each worker draws an operation from the mix and its
/// parameters from the skewed generators, runs it through an executor and records its latency in
/// an HdrHistogram. The load tester builds its open-loop mode on the same pieces.
/// </summary>
public sealed partial class WorkloadRunner(ILogger<WorkloadRunner>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Runs the workload in a closed loop until the duration or operation limit is reached.</summary>
    public async Task<WorkloadReport> RunAsync(
        IWorkload workload,
        WorkloadMix mix,
        IOperationExecutor executor,
        WorkloadOptions options,
        IProgress<WorkloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(options);
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
            var random = workload.CreateRandom(options.Seed + w);
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
        var all = LatencyHistogram.CreateEmpty();
        for (var i = 0; i < workload.Operations.Count; i++)
        {
            var h = LatencyHistogram.CreateEmpty();
            long calls = 0, errs = 0, rows = 0;
            string? firstError = null;
            foreach (var w in workers.Where(w => w is not null))
            {
                if (w.Histograms[i] is { } recorded)
                {
                    h.Add(recorded);
                }

                calls += w.Calls[i];
                errs += w.Errors[i];
                rows += w.Rows[i];
                firstError ??= w.FirstErrors[i];
            }

            all.Add(h);
            var op = workload.Operations[i];
            if (calls + errs > 0)
            {
                perOp.Add(new OperationReport(op.Name, op.Intent, calls, errs, rows, LatencyHistogram.Summarize(h)) { FirstError = firstError });
            }
        }

        return new WorkloadReport(workload.Name, executor.Name, options.Concurrency, elapsed, perOp, LatencyHistogram.Summarize(all));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {Operation} failed: {Type}: {Message}")]
    private static partial void LogOperationFailed(ILogger logger, string operation, string type, string message);

    private sealed class WorkerState
    {
        public WorkerState(int ops)
        {
            // Created on a slot's first call: a histogram is some 27 KB, workers × operations of them
            // up front is tens of megabytes most of which a run never touches.
            Histograms = new HistogramBase?[ops];
            Calls = new long[ops];
            Errors = new long[ops];
            Rows = new long[ops];
            FirstErrors = new string?[ops];
        }

        public string?[] FirstErrors { get; }

        public HistogramBase?[] Histograms { get; }

        public long[] Calls { get; }

        public long[] Errors { get; }

        public long[] Rows { get; }

        public void Record(int slot, long micros, int rows)
        {
            (Histograms[slot] ??= LatencyHistogram.CreateEmpty()).RecordValue(LatencyHistogram.Clamp(micros));
            Calls[slot]++;
            Rows[slot] += rows;
        }
    }
}
