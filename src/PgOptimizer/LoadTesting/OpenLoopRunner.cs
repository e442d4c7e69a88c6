using System.Diagnostics;
using Npgsql;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Replays a workload at a fixed arrival rate (open loop, like wrk2): request i is due at
/// start + i / rate whether or not earlier ones have finished, and its latency is measured from
/// that intended start, so a stall shows in the percentiles instead of silently lowering the load
/// (coordinated omission). Service time (from the actual start) is reported beside it.
/// </summary>
internal static class OpenLoopRunner
{
    public static async Task<OpenLoopReport> RunAsync(
        IWorkload workload,
        WorkloadMix mix,
        IOperationExecutor executor,
        OpenLoopOptions options,
        IProgress<WorkloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var ops = workload.Operations;
        var index = ops.Select((o, i) => (o, i)).ToDictionary(x => x.o.Name, x => x.i);
        var latency = ops.Select(_ => LatencyHistogram.CreateConcurrent()).ToArray();
        var service = LatencyHistogram.CreateConcurrent();
        var startDelay = LatencyHistogram.CreateConcurrent();
        var calls = new long[ops.Count];
        var errors = new long[ops.Count];
        var rows = new long[ops.Count];
        var rowsAll = new long[ops.Count];
        var firstErrors = new string?[ops.Count];
        long completed = 0, failed = 0, late = 0;
        var random = workload.CreateRandom(options.Seed);
        using var slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new List<Task>();
        var ticksPerRequest = Stopwatch.Frequency / options.Rate;
        var warmupTicks = (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var endTicks = warmupTicks + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        long dispatched = 0;
        var live = progress is null ? null : new LiveLatency(TimeSpan.FromSeconds(1));

        async Task RunOne(WorkloadOperation op, int slot, object?[] args, long intended, long handedOver, bool measured)
        {
            try
            {
                var begun = Stopwatch.GetTimestamp();
                if (measured)
                {
                    startDelay.RecordValue(LatencyHistogram.Clamp((begun - handedOver) * 1_000_000 / Stopwatch.Frequency));
                }

                var n = await executor.ExecuteAsync(op, args, stop.Token).ConfigureAwait(false);
                var done = Stopwatch.GetTimestamp();
                if (op.Intent == Connections.DbIntent.Write)
                {
                    Interlocked.Add(ref rowsAll[slot], n);
                }

                if (measured)
                {
                    latency[slot].RecordValue(LatencyHistogram.Clamp((done - intended) * 1_000_000 / Stopwatch.Frequency));
                    live?.Record((done - intended) * 1_000_000 / Stopwatch.Frequency);
                    service.RecordValue(LatencyHistogram.Clamp((done - begun) * 1_000_000 / Stopwatch.Frequency));
                    Interlocked.Increment(ref calls[slot]);
                    Interlocked.Add(ref rows[slot], n);
                    Interlocked.Increment(ref completed);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // the caller cancelled the run
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or Polly.CircuitBreaker.BrokenCircuitException)
            {
                if (measured)
                {
                    Interlocked.Increment(ref errors[slot]);
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstErrors[slot], $"{ex.GetType().Name}: {ex.Message}", null);
                }
            }
            finally
            {
                slots.Release();
            }
        }

        // The generator runs on a thread of its own, so that a saturated thread pool (the workload's
        // own continuations) cannot delay when requests start; each request then runs on the pool.
        // How late the generator itself reached each request is recorded: when that grows, the
        // latencies measured include the generator's delay and the report says so.
        var lag = LatencyHistogram.CreateEmpty();
        var lastReport = start;
        var slotFreed = start;
        Exception? generatorFailure = null;
        void Generate()
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var now = Stopwatch.GetTimestamp() - start;
                    if (now >= endTicks)
                    {
                        break;
                    }

                    var due = (long)(now / ticksPerRequest) + 1;
                    while (dispatched < due && !stop.IsCancellationRequested)
                    {
                        var intended = start + (long)(dispatched * ticksPerRequest);
                        var measured = intended - start >= warmupTicks;
                        dispatched++;
                        if (measured)
                        {
                            // the generator's own lateness: what waiting for a free slot (the system
                            // under test) does not explain
                            lag.RecordValue(LatencyHistogram.Clamp((Stopwatch.GetTimestamp() - Math.Max(intended, slotFreed)) * 1_000_000 / Stopwatch.Frequency));
                        }

                        if (!slots.Wait(0, CancellationToken.None))
                        {
                            Interlocked.Increment(ref late);
                            slots.Wait(stop.Token);
                            slotFreed = Stopwatch.GetTimestamp();
                        }

                        var op = mix.Next(random.Random);
                        var args = op.Parameters(random);
                        var slot = index[op.Name];
                        var handedOver = Stopwatch.GetTimestamp();
                        inFlight.Add(Task.Run(() => RunOne(op, slot, args, intended, handedOver, measured), CancellationToken.None));
                    }

                    if (inFlight.Count > 4096)
                    {
                        inFlight.RemoveAll(t => t.IsCompleted);
                    }

                    if (progress is not null && Stopwatch.GetTimestamp() - lastReport > Stopwatch.Frequency / 4)
                    {
                        lastReport = Stopwatch.GetTimestamp();
                        var elapsed = Stopwatch.GetElapsedTime(start) - options.Warmup;
                        progress.Report(new WorkloadProgress(elapsed < TimeSpan.Zero ? TimeSpan.Zero : elapsed, options.Duration, Interlocked.Read(ref completed) + Interlocked.Read(ref failed), Interlocked.Read(ref failed), live!.P95Ms()));
                    }

                    // Sleep until the next request is due, a millisecond at least (the scheduler's
                    // resolution): requests that came due meanwhile go together, each keeping its own
                    // intended start. Never spin: on a small machine a spinning generator takes a core
                    // from the system it measures.
                    var next = (long)(dispatched * ticksPerRequest) - (Stopwatch.GetTimestamp() - start);
                    if (next > 0)
                    {
                        stop.Token.WaitHandle.WaitOne(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, next * TimeSpan.TicksPerSecond / Stopwatch.Frequency))); // wakes on cancellation
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // cancelled
            }
            catch (Exception ex)
            {
                generatorFailure = ex;
            }
        }

        var generator = new Thread(Generate) { IsBackground = true, Name = "pgopt-load-generator", Priority = ThreadPriority.AboveNormal };
        generator.Start();
        await Task.Run(generator.Join, CancellationToken.None).ConfigureAwait(false);
        if (generatorFailure is not null)
        {
            throw new InvalidOperationException("The load generator failed: " + generatorFailure.Message, generatorFailure);
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var measuredSeconds = options.Duration.TotalSeconds;
        var perOp = new List<OperationReport>();
        var all = LatencyHistogram.CreateEmpty();
        for (var i = 0; i < ops.Count; i++)
        {
            all.Add(latency[i]);
            if (calls[i] + errors[i] > 0)
            {
                perOp.Add(new OperationReport(ops[i].Name, ops[i].Intent, calls[i], errors[i], rows[i], LatencyHistogram.Summarize(latency[i])) { FirstError = firstErrors[i] });
            }
        }

        var report = new WorkloadReport(workload.Name, executor.Name, options.MaxInFlight, options.Duration, perOp, LatencyHistogram.Summarize(all));
        var written = ops.Select((o, i) => (o.Name, Rows: rowsAll[i])).Where(x => x.Rows > 0).ToDictionary(x => x.Name, x => x.Rows, StringComparer.Ordinal);
        return new OpenLoopReport(report, options.Rate, completed / measuredSeconds, LatencyHistogram.Summarize(service), late, written) { GeneratorLag = LatencyHistogram.Summarize(lag), StartDelay = LatencyHistogram.Summarize(startDelay) };
    }
}
