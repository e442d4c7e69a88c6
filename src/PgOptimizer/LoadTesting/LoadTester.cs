using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Runs a workload as a load test: warm-up, then an open loop at a fixed rate (latency from each
/// request's intended start) or a closed loop at a concurrency; meanwhile samples the database's
/// client connections (pg_stat_activity) for the peak; afterwards checks that the rows the
/// successful writes reported equal the rows the database counted (pg_stat_user_tables).
/// </summary>
public static class LoadTester
{
    /// <summary>Runs the load test and checks its writes against the database's own counts.</summary>
    public static async Task<LoadTestReport> RunAsync(
        IWorkload workload,
        WorkloadMix mix,
        IOperationExecutor executor,
        NpgsqlDataSource primary,
        LoadTestOptions options,
        IProgress<WorkloadProgress>? progress = null,
        NpgsqlDataSource? executorDataSource = null,
        IReadOnlyList<NpgsqlDataSource>? replicas = null,
        CpuMeter? cpu = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(workload);
        // An INSERT ... ON CONFLICT that loses a race with a concurrent one inserts speculatively and
        // takes it back; the statistics count that, the statement reports no row. Tables written by
        // such operations are left out of the check (and named in the report), and so are the rows
        // such an operation reports when they are the INSERT's; an INSERT inside a WITH reports the
        // outer statement's rows (a like counted on its pitch: the UPDATE's), which stay checked.
        var upserts = workload.Operations.Where(o => o.Intent == DbIntent.Write && o.Sql.Contains("ON CONFLICT", StringComparison.OrdinalIgnoreCase)).ToList();
        var excluded = upserts.Select(o => InsertTarget.Match(o.Sql)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToArray();
        var excludedOps = upserts.Where(o => !InsertIsNested(o.Sql)).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        // Writes made just before (e.g. seeding in the same process) may still sit in idle pooled
        // backends' unreported statistics: close those connections (a backend reports when it exits)
        // and take the starting count once it has settled.
        primary.Clear();
        executorDataSource?.Clear();
        var before = await SettledRowsChangedAsync(primary, excluded, cancellationToken).ConfigureAwait(false);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = SamplePeakConnectionsAsync([primary, .. replicas ?? []], sampling.Token);
        string mode;
        WorkloadReport run;
        double? rate = null;
        OpenLoopReport? openLoop = null;
        var warmedFor = options.Warmup;
        LatencySummary? service = null;
        long delayed = 0, written, inDoubt = 0;
        CpuReading? cpuStart = null;
        try
        {
            if (options.Rate is { } r)
            {
                written = 0;
                if (options.Warmup > TimeSpan.Zero)
                {
                    // The JIT first, in a closed loop as long as it is still compiling (a second at a
                    // time, up to four times the warm-up and 20 s): the schedule's own warm-up below
                    // then brings the system to the rate, and the measured interval sees the steady state.
                    var (rows, seconds) = await SettleJitAsync(new WorkloadRunner(), new JitWatch(), 3000, atLeastOneSecond: true).ConfigureAwait(false);
                    written += rows;
                    warmedFor += TimeSpan.FromSeconds(seconds);
                }

                // The open loop warms up inside its runner: the CPU reading starts when the warm-up ends.
                var cpuStarted = cpu is null ? null : ReadAfterAsync(cpu, options.Warmup, sampling.Token);
                var open = await OpenLoopRunner.RunAsync(workload, mix, executor,
                    new OpenLoopOptions { Rate = r, Duration = options.Duration, Warmup = options.Warmup, MaxInFlight = options.Concurrency, Seed = options.Seed },
                    progress, cancellationToken).ConfigureAwait(false);
                (mode, run, rate, service, delayed, openLoop) = ("open loop", open.Report, open.IntendedRate, open.ServiceTime, open.Delayed, open);
                written += open.RowsWrittenIncludingWarmup.Where(kv => !excludedOps.Contains(kv.Key)).Sum(kv => kv.Value);
                inDoubt += InDoubt(open.Report); // the measured interval's failed writes (the schedule's warm-up keeps none)
                cpuStart = cpuStarted is null ? null : await cpuStarted.ConfigureAwait(false);
            }
            else
            {
                var runner = new WorkloadRunner();
                written = 0;
                if (options.Warmup > TimeSpan.Zero)
                {
                    var jit = new JitWatch();
                    var warm = await runner.RunAsync(workload, mix, executor,
                        new WorkloadOptions { Duration = options.Warmup, Concurrency = options.Concurrency, Seed = options.Seed + 1000 },
                        null, cancellationToken).ConfigureAwait(false);
                    written += Checked(warm);

                    var (rows, seconds) = await SettleJitAsync(runner, jit, 2000, atLeastOneSecond: false).ConfigureAwait(false);
                    written += rows;
                    warmedFor += TimeSpan.FromSeconds(seconds);
                }

                cpuStart = cpu is null ? null : await cpu.ReadAsync(cancellationToken).ConfigureAwait(false);
                run = await runner.RunAsync(workload, mix, executor,
                    new WorkloadOptions { Duration = options.Duration, Concurrency = options.Concurrency, Seed = options.Seed },
                    progress, cancellationToken).ConfigureAwait(false);
                mode = "closed loop";
                written += Checked(run);
            }
        }
        finally
        {
            await sampling.CancelAsync().ConfigureAwait(false);
        }

        var cpuUsage = cpuStart is { } begun ? (await cpu!.ReadAsync(cancellationToken).ConfigureAwait(false)).Since(begun, run.Calls + run.Errors) : null;

        var (peakConnections, peakBusy) = await peak.ConfigureAwait(false);

        // Backends report their statistics when they go idle for a while or exit: close the idle
        // pooled connections so the counts are complete, then wait for them.
        primary.Clear();
        executorDataSource?.Clear();
        long changed = 0;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            changed = await RowsChangedAsync(primary, excluded, cancellationToken).ConfigureAwait(false) - before;
            if (changed >= written || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        return new LoadTestReport(mode, run, rate, service, delayed, peakConnections, written, changed, changed >= written && changed <= written + inDoubt) { WritesInDoubt = inDoubt, UncheckedTables = excluded, PeakBusyDatabaseConnections = peakBusy, Cpu = cpuUsage,
            WarmedUpFor = warmedFor,
            GeneratorLag = openLoop?.GeneratorLag, StartDelay = openLoop?.StartDelay, GeneratorFellBehind = openLoop?.GeneratorFellBehind ?? false,
        };

        long Checked(WorkloadReport r)
        {
            inDoubt += InDoubt(r);
            return r.Operations.Where(o => o.Intent == DbIntent.Write && !excludedOps.Contains(o.Name)).Sum(o => o.Rows);
        }

        // A write that failed may still have committed (the server committed, the acknowledgement was
        // lost with the connection): at most the rows one of its calls writes, per failure.
        long InDoubt(WorkloadReport r) => r.Operations
            .Where(o => o.Intent == DbIntent.Write && o.Errors > 0 && !excludedOps.Contains(o.Name))
            .Sum(o => o.Errors * Math.Max(1, (o.Rows + o.Calls - 1) / Math.Max(1, o.Calls)));

        // The measured interval should see the steady state: while the JIT is still compiling
        // (tiering up the hot paths), keep warming up in a closed loop, a second at a time, up to
        // four times the warm-up asked for and MaxJitSettleSeconds. Returns the rows written and the seconds added.
        async Task<(long Rows, int Seconds)> SettleJitAsync(WorkloadRunner runner, JitWatch jit, int seedOffset, bool atLeastOneSecond)
        {
            long rows = 0;
            var seconds = 0;
            while (seconds < Math.Min(MaxJitSettleSeconds, 4 * options.Warmup.TotalSeconds) && ((atLeastOneSecond && seconds == 0) || jit.StillBusy()))
            {
                var more = await runner.RunAsync(workload, mix, executor,
                    new WorkloadOptions { Duration = TimeSpan.FromSeconds(1), Concurrency = options.Concurrency, Seed = options.Seed + seedOffset + seconds },
                    null, cancellationToken).ConfigureAwait(false);
                rows += Checked(more);
                seconds++;
            }

            return (rows, seconds);
        }
    }

    /// <summary>At most this many seconds of warm-up are added while the JIT is busy (and at most four times the warm-up asked for).</summary>
    private const int MaxJitSettleSeconds = 20;

    /// <summary>Compiled methods per second since the last look: above 50, the JIT is still tiering up the hot paths.</summary>
    private sealed class JitWatch
    {
        private long _count = System.Runtime.JitInfo.GetCompiledMethodCount();
        private long _at = System.Diagnostics.Stopwatch.GetTimestamp();

        public bool StillBusy()
        {
            var (count, at) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Diagnostics.Stopwatch.GetTimestamp());
            var rate = (count - _count) / Math.Max(0.5, System.Diagnostics.Stopwatch.GetElapsedTime(_at, at).TotalSeconds);
            (_count, _at) = (count, at);
            return rate > 50;
        }
    }

    private static async Task<CpuReading> ReadAfterAsync(CpuMeter cpu, TimeSpan delay, CancellationToken ct)
    {
        await Task.Delay(delay, ct).ConfigureAwait(false);
        return await cpu.ReadAsync(ct).ConfigureAwait(false);
    }

    private static readonly System.Text.RegularExpressions.Regex InsertTarget = new(@"INSERT\s+INTO\s+([A-Za-z_][\w.]*)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Whether the statement's INSERT sits inside parentheses (a WITH's data-modifying query), not at its top level.</summary>
    internal static bool InsertIsNested(string sql)
    {
        var insert = InsertTarget.Match(sql);
        if (!insert.Success)
        {
            return false;
        }

        var depth = 0;
        var quoted = false;
        foreach (var c in sql.AsSpan(0, insert.Index))
        {
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted)
            {
                depth += c switch { '(' => 1, ')' => -1, _ => 0 };
            }
        }

        return depth > 0;
    }

    private static async Task<long> SettledRowsChangedAsync(NpgsqlDataSource primary, string[] excludedTables, CancellationToken ct)
    {
        var last = await RowsChangedAsync(primary, excludedTables, ct).ConfigureAwait(false);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct).ConfigureAwait(false);
            var now = await RowsChangedAsync(primary, excludedTables, ct).ConfigureAwait(false);
            if (now == last)
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    private static async Task<long> RowsChangedAsync(NpgsqlDataSource primary, string[] excludedTables, CancellationToken ct)
    {
        await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var clear = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT pg_stat_clear_snapshot()", conn))
        {
            await clear.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables WHERE NOT (relname = ANY ($1))", conn);
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = excludedTables });
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>The most client connections seen at once (open, and busy: not idle), each summed over the primary and the replicas.</summary>
    private static async Task<(int Open, int Busy)> SamplePeakConnectionsAsync(IReadOnlyList<NpgsqlDataSource> servers, CancellationToken ct)
    {
        var peak = 0;
        var peakBusy = 0;
        var connections = new List<NpgsqlConnection>();
        try
        {
            foreach (var server in servers)
            {
                connections.Add(await server.OpenConnectionAsync(ct).ConfigureAwait(false));
            }

            while (!ct.IsCancellationRequested)
            {
                int sum = 0, busy = 0;
                foreach (var conn in connections)
                {
                    await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
                        "SELECT count(*)::int, (count(*) FILTER (WHERE state IS DISTINCT FROM 'idle'))::int FROM pg_stat_activity " +
                        "WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()", conn);
                    await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    sum += reader.GetInt32(0);
                    busy += reader.GetInt32(1);
                }

                peak = Math.Max(peak, sum);
                peakBusy = Math.Max(peakBusy, busy);
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the run ended
        }
        catch (NpgsqlException)
        {
            // sampling is best effort
        }
        finally
        {
            foreach (var conn in connections)
            {
                await conn.DisposeAsync().ConfigureAwait(false);
            }
        }

        return (peak, peakBusy);
    }
}
