using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Workload;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class LoadTestSettings : DatabaseSettings
{
    [CommandOption("--rps <RATE>")]
    [Description("Open loop: requests started per second, latency measured from each request's intended start (coordinated omission corrected). Without it: closed loop at --concurrency.")]
    public double? Rps { get; init; }

    [CommandOption("--concurrency <N>")]
    [Description("Closed loop: concurrent workers. Open loop: requests in flight at most. Default 32.")]
    public int Concurrency { get; init; } = 32;

    [CommandOption("-d|--duration <DURATION>")]
    [Description("Measured time: 30s, 2m, ... Default 30s.")]
    public string Duration { get; init; } = "30s";

    [CommandOption("--warmup <DURATION>")]
    [Description("Unmeasured time first. Default 5s.")]
    public string Warmup { get; init; } = "5s";

    [CommandOption("--mix <MIX>")]
    [Description("Change the mix: reads=90,writes=10 or operation=weight,...")]
    public string? Mix { get; init; }

    [CommandOption("--raw")]
    [Description("Run the same operations on plain Npgsql (no connection manager) as the baseline.")]
    public bool Raw { get; init; }

    [CommandOption("--no-cache")]
    [Description("Run reads on the database every time instead of through the two-tier cache.")]
    public bool NoCache { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the parameter generators. Default 1.")]
    public int Seed { get; init; } = 1;

    [CommandOption("--cache-warmup <REQUESTS>")]
    [Description("Before the run, warm the cache with the distinct keys of this many requests drawn from the mix (a sample of the workload's own traffic). Default 0: start cold.")]
    public int CacheWarmup { get; init; }

    [CommandOption("--progress <INTERVAL>")]
    [Description("Every INTERVAL of the measured run (5s, 1m; at least 1s), print a line to standard error as pgbench --progress does: requests per second, p95, errors, cache hit rate and CPU per request of client, PostgreSQL and Redis; --json adds them as \"intervals\".")]
    public string? Progress { get; init; }

    [CommandOption("--latency-tuning <MODE>")]
    [Description("The client's runtime for a latency measurement: the workstation collector with a 4 MB generation 0 (short pauses) and at least four thread-pool workers per core that park at once instead of spinning. auto (default): on for an open loop (--rps), off for a closed loop, which keeps the server collector's throughput; on or off for either. DOTNET_gc* or DOTNET_ThreadPool_* settings in the environment take precedence. The report names the collector and pool it ran with.")]
    public string LatencyTuning { get; init; } = "auto";

    [CommandOption("--clear-cache")]
    [Description("Empty the cache (memory and Redis, every instance) before the run, so it starts cold, or with --cache-warmup warm from empty")]
    public bool ClearCache { get; init; }
}

/// <summary>pgopt loadtest: the demo workload under load, open or closed loop, with its report (totals, success and error rate, latency percentiles, per operation).</summary>
public sealed class LoadTestCommand : AsyncCommand<LoadTestSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, LoadTestSettings settings, CancellationToken cancellationToken)
    {
        var plan = new LoadTestPlan
        {
            Options = new LoadTestOptions
            {
                Rate = settings.Rps,
                Concurrency = settings.Concurrency,
                Duration = DurationParser.Parse(settings.Duration, "--duration"),
                Warmup = DurationParser.Parse(settings.Warmup, "--warmup", allowZero: true),
                Seed = settings.Seed,
            },
            Executor = settings.Raw ? LoadTestExecutor.RawNpgsql : settings.NoCache ? LoadTestExecutor.ToolkitWithoutCache : LoadTestExecutor.Toolkit,
            ClearCache = settings.ClearCache,
            CacheWarmupRequests = settings.CacheWarmup is >= 0 and <= 10_000_000
                ? settings.CacheWarmup
                : throw new PgOptimizerConfigurationException($"--cache-warmup {settings.CacheWarmup} is out of range; give 0 to 10000000 requests."),
            ProgressInterval = settings.Progress is null ? null : ProgressInterval(settings.Progress),
        };
        if (settings.LatencyTuning is not ("auto" or "on" or "off"))
        {
            // Read by the restart too (LoadTestRuntime), which leaves an unknown mode to this message.
            throw new PgOptimizerConfigurationException($"--latency-tuning '{settings.LatencyTuning}' is not a mode; give {LoadTestRuntime.Modes}.");
        }

        if (settings.Concurrency is < 1 or > 4096)
        {
            throw new PgOptimizerConfigurationException($"--concurrency {settings.Concurrency} is out of range; give 1 to 4096.");
        }

        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose, o => o.MaxPoolSize = Math.Max(o.MaxPoolSize, settings.Concurrency), longRunning: true,
            tuneCache: c => c.WarmupConcurrency = Math.Clamp(settings.Concurrency, 1, 256));
        await using var monitoring = MonitoringScope.Start(services);
        var manager = services.GetRequiredService<PgConnectionManager>();
        var workload = await PitchesWorkload.LoadAsync(manager.Primary.DataSource, manager.Primary.Description, cancellationToken).ConfigureAwait(false);
        var mix = WorkloadMix.Parse(workload, settings.Mix);
        var loadTests = services.GetRequiredService<LoadTestService>();

        LoadTestResult result;
        if (settings.Json)
        {
            result = await loadTests.RunAsync(workload, mix, plan, plan.ProgressInterval is null ? null : new InlineProgress<LoadTestProgress>(WriteInterval), cancellationToken).ConfigureAwait(false);
            var report = result.Report;
            var warmed = result.Warmup;
            Output.WriteJson(new
            {
                report.Mode, executor = result.Executor, runsOn = result.RunsOn, cacheWarmup = warmed is null ? null : new { warmed.Items, warmed.Loaded, failed = warmed.Failed.Count, elapsedSeconds = warmed.Elapsed.TotalSeconds }, cacheHitRate = result.CacheHitRate, idealCacheHitRate = result.IdealCacheHitRate, idealCacheHitRateWithInvalidation = result.IdealCacheHitRateWithInvalidation, report.IntendedRate, achievedRate = report.Run.Throughput, totalRequests = report.Run.Calls + report.Run.Errors,
                successRate = report.SuccessRate, errors = report.Run.Errors, latency = report.Run.Latency, report.ServiceTime, report.Delayed,
                report.GeneratorLag, report.StartDelay, report.GeneratorFellBehind, collectorPausesSetTheTail = report.CollectorPausesSetTheTail, warmedUpSeconds = report.WarmedUpFor.TotalSeconds,
                cpu = Cpu(report.Cpu),
                cacheStrategies = result.Strategies.Where(c => c.Hits + c.Misses > 0).Select(c => new
                {
                    c.Strategy, c.MemoryHits, c.DistributedHits, c.Misses, c.HitRatio, redisOnMisses = !c.RedisBypassed, c.RedisBypasses, c.RedisCostMicrosPerMiss, c.RedisSavingMicrosPerMiss,
                }),
                report.PeakDatabaseConnections, peakBusyDatabaseConnections = report.PeakBusyDatabaseConnections, indexCoverage = result.Coverage?.ByCalls, uncoveredOperations = result.Coverage?.Uncovered.Select(u => new { operation = u.Query, tables = u.SeqScannedTables }),
                report.RowsWritten, report.DatabaseRowsChanged, report.WritesInDoubt, report.WritesVerified, report.UncheckedTables, operations = report.Run.Operations,
                intervals = plan.ProgressInterval is null ? null : result.Intervals.Select(i => new
                {
                    elapsedSeconds = i.Elapsed.TotalSeconds, i.Seconds, i.Requests, i.Errors, i.Throughput, i.P95Ms, i.CacheHitRatio, cpu = Cpu(i.Cpu),
                }),
            });
        }
        else
        {
            LiveBar? bar = null;
            try
            {
                // With --progress the interval lines are the live view (a bar redrawn beside them would garble both).
                result = await loadTests.RunAsync(workload, mix, plan, new InlineProgress<LoadTestProgress>(plan.ProgressInterval is null
                    ? p =>
                    {
                        bar ??= new LiveBar("Load test", plan.Options.Duration.TotalSeconds);
                        bar.Update(p.Run.Elapsed.TotalSeconds, LiveDescription("Load test", p));
                    }
                    : WriteInterval), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                bar?.Dispose();
            }

            if (result.Warmup is { } warmed)
            {
                AnsiConsole.MarkupLine(Output.Esc($"Cache warmed with {warmed.Loaded} of {warmed.Items} distinct keys from {settings.CacheWarmup} sampled requests in {warmed.Elapsed.TotalSeconds:F1} s{(warmed.Failed.Count > 0 ? $"; {warmed.Failed.Count} failed" : string.Empty)}."));
            }

            Render(result);
        }

        return result.Report.Run.Errors == 0 && result.Report.WritesVerified ? ExitCodes.Ok : ExitCodes.Findings;
    }

    /// <summary>The CPU figures of a run for JSON: seconds and µs per request of each part.</summary>
    internal static object? Cpu(CpuUsage? cpu) => cpu is null ? null : new
    {
        cpu.Seconds, cpu.Requests, cpu.Cores,
        clientSeconds = cpu.ClientSeconds, databaseSeconds = cpu.DatabaseSeconds, redisSeconds = cpu.RedisSeconds, machineSeconds = cpu.MachineSeconds,
        clientMicrosPerRequest = cpu.ClientMicrosPerRequest, databaseMicrosPerRequest = cpu.DatabaseMicrosPerRequest,
        redisMicrosPerRequest = cpu.RedisMicrosPerRequest, machineMicrosPerRequest = cpu.MachineMicrosPerRequest, otherMicrosPerRequest = cpu.OtherMicrosPerRequest, machineUtilization = cpu.MachineUtilization,
        clientAllocatedBytes = cpu.ClientAllocatedBytes, clientAllocatedBytesPerRequest = cpu.ClientAllocatedBytesPerRequest,
        clientGcPauseSeconds = cpu.ClientGcPauseSeconds, clientGcPauseMicrosPerRequest = cpu.ClientGcPauseMicrosPerRequest, clientGcLongestPauseMs = cpu.ClientGcLongestPauseMs,
        clientCollections = cpu.ClientGen0Collections is null ? null : new { gen0 = cpu.ClientGen0Collections, gen1 = cpu.ClientGen1Collections, gen2 = cpu.ClientGen2Collections },
        clientWorkItems = cpu.ClientWorkItems, clientWorkItemsPerRequest = cpu.ClientWorkItemsPerRequest,
        clientContextSwitches = cpu.ClientContextSwitches, clientContextSwitchesPerRequest = cpu.ClientContextSwitchesPerRequest,
        clientCollector = cpu.ClientCollector, clientThreadPool = cpu.ClientThreadPool,
    };

    /// <summary>The CPU figures of a run in one line.</summary>
    internal static string CpuLine(CpuUsage cpu)
    {
        static string Us(double? v) => v is { } x ? $"{x:F0} µs" : "n/a";
        return $"CPU per request (measured interval): client {Us(cpu.ClientMicrosPerRequest)}, PostgreSQL {Us(cpu.DatabaseMicrosPerRequest)}" +
               (cpu.DatabaseSeconds is null ? " (servers not on this machine)" : string.Empty) +
               $", Redis {Us(cpu.RedisMicrosPerRequest)}, whole machine {Us(cpu.MachineMicrosPerRequest)}" +
               (cpu.OtherMicrosPerRequest is { } other ? $" (other processes {Us(other)})" : string.Empty) +
               (cpu.MachineUtilization is { } u ? $" ({u:P0} of {cpu.Cores} cores busy)" : string.Empty) +
               (cpu.ClientAllocatedBytesPerRequest is { } b
                   ? $"; client memory per request: {b / 1024:F1} KB allocated, {Us(cpu.ClientGcPauseMicrosPerRequest)} paused for GC ({cpu.ClientGen0Collections} collections, {cpu.ClientGen2Collections} full{(cpu.ClientGcLongestPauseMs is { } longest ? $", longest pause {longest:F1} ms" : string.Empty)})"
                   : string.Empty) +
               Scheduling(cpu) +
               (cpu.ClientCollector is { } gc ? $"; client collector: {gc}" : string.Empty) +
               (cpu.ClientThreadPool is { } pool ? $"; client thread pool: {pool}" : string.Empty);
    }

    /// <summary>The client's thread-pool work items and context switches per request, when read.</summary>
    private static string Scheduling(CpuUsage cpu) =>
        (cpu.ClientWorkItemsPerRequest is { } w ? $"; client per request: {w.ToString("F2", CultureInfo.InvariantCulture)} thread-pool work items" : string.Empty) +
        (cpu.ClientContextSwitchesPerRequest is { } c ? $", {c.ToString("F2", CultureInfo.InvariantCulture)} context switches" : string.Empty);

    private static TimeSpan ProgressInterval(string text)
    {
        var interval = DurationParser.Parse(text, "--progress");
        return interval >= TimeSpan.FromSeconds(1)
            ? interval
            : throw new PgOptimizerConfigurationException($"--progress {text} is too short; give 1s or more (e.g. --progress 5s).");
    }

    /// <summary>Prints an interval that just ended to standard error (stdout keeps the report, or the JSON).</summary>
    private static void WriteInterval(LoadTestProgress progress)
    {
        if (progress.Interval is { } i)
        {
            Console.Error.WriteLine(IntervalLine(i));
        }
    }

    /// <summary>One interval in one line, in the manner of pgbench's progress lines.</summary>
    internal static string IntervalLine(LoadTestInterval i)
    {
        static string Us(double? v) => v is { } x ? x.ToString("F0", CultureInfo.InvariantCulture) : "n/a";
        var p95 = i.P95Ms is { } ms ? ms.ToString("F1", CultureInfo.InvariantCulture) : "n/a";
        var hit = i.CacheHitRatio is { } h ? $", cache hit {h.ToString("P0", CultureInfo.InvariantCulture)}" : string.Empty;
        return $"progress: {i.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s, {i.Throughput.ToString("F1", CultureInfo.InvariantCulture)} req/s, p95 {p95} ms, {i.Errors} errors{hit}; " +
               $"CPU µs/request: client {Us(i.Cpu.ClientMicrosPerRequest)}, PostgreSQL {Us(i.Cpu.DatabaseMicrosPerRequest)}, Redis {Us(i.Cpu.RedisMicrosPerRequest)}, machine {Us(i.Cpu.MachineMicrosPerRequest)}" +
               (i.Cpu.ClientAllocatedBytesPerRequest is { } b ? $"; client KB allocated/request {(b / 1024).ToString("F1", CultureInfo.InvariantCulture)}" : string.Empty) +
               Scheduling(i.Cpu);
    }

    /// <summary>One line of live progress: requests, rate, p95 of the last second, errors, cache hit rate so far.</summary>
    internal static string LiveDescription(string label, LoadTestProgress progress)
    {
        var p = progress.Run;
        var rate = p.Elapsed.TotalSeconds > 0 ? p.Operations / p.Elapsed.TotalSeconds : 0;
        var p95 = p.RecentP95Ms is { } ms ? $", p95 {ms:F1} ms" : string.Empty;
        var hit = progress.Cache.HitRatio is { } ratio ? $", cache hit {ratio:P0}" : string.Empty;
        return $"{label}: {Output.N(p.Operations)} requests, {Output.N(rate)}/s{p95}, {p.Errors} errors{hit}";
    }

    private static void Render(LoadTestResult result)
    {
        var (r, executor, cache, coverage, idealHitRate) = (result.Report, result.Executor, result.Cache, result.Coverage, result.IdealCacheHitRate);
        var l = r.Run.Latency;
        var total = r.Run.Calls + r.Run.Errors;
        AnsiConsole.MarkupLine($"[bold]Load test[/] — {r.Mode}{(r.IntendedRate is { } rate ? $" at {Output.N(rate)} req/s" : $", {r.Run.Concurrency} workers")}, {executor}, {r.Run.Elapsed.TotalSeconds:F0} s measured");
        AnsiConsole.WriteLine($"Runs on: {result.RunsOn}");
        if (r.WarmedUpFor > TimeSpan.Zero)
        {
            AnsiConsole.WriteLine($"Warm-up: {r.WarmedUpFor.TotalSeconds:F0} s unmeasured (warming up continues while the JIT is still compiling, up to four times --warmup and 20 s more; an open loop does that in a closed loop first)");
        }

        AnsiConsole.WriteLine($"Total Requests: {total.ToString("N0", CultureInfo.InvariantCulture)}");
        AnsiConsole.WriteLine($"Success Rate: {r.SuccessRate:P2}");
        AnsiConsole.WriteLine($"Average Response Time: {l.MeanMs:F2}ms");
        AnsiConsole.WriteLine($"P95 Response Time: {l.P95Ms:F2}ms");
        AnsiConsole.WriteLine($"P99 Response Time: {l.P99Ms:F2}ms");
        AnsiConsole.WriteLine($"Error Rate: {(total == 0 ? 0 : (double)r.Run.Errors / total):P2}");
        AnsiConsole.WriteLine($"Throughput: {r.Run.Throughput:F1} req/s");
        if (r.ServiceTime is { } s)
        {
            AnsiConsole.WriteLine($"Service time (from actual start): p50 {s.P50Ms:F2}ms, p99 {s.P99Ms:F2}ms; requests that waited for a free slot: {r.Delayed}" +
                (r.StartDelay is { Count: > 0 } d ? $"; wait for a thread-pool thread after the generator's hand-off: p50 {d.P50Ms:F2}ms, p99 {d.P99Ms:F2}ms" : string.Empty));
        }

        if (r.GeneratorLag is { } lag)
        {
            AnsiConsole.MarkupLine(r.GeneratorFellBehind
                ? $"[yellow]The load generator fell behind its schedule[/]: it reached requests up to {lag.P99Ms:F2} ms late (p99), {lag.MaxMs:F2} ms at most; the latencies include that delay.{(r.CollectorPausesSetTheTail ? string.Empty : " Lower --rps or run the generator on another machine.")}"
                : $"Load generator on schedule: p99 {lag.P99Ms:F2} ms late, {lag.MaxMs:F2} ms at most.");
            if (r.CollectorPausesSetTheTail && r.Cpu?.ClientGcLongestPauseMs is { } longest && r.ServiceTime is { } service)
            {
                AnsiConsole.MarkupLine($"[yellow]This process's own GC pauses set the tail[/]: the longest stopped every thread, the generator's included, for {longest:F1} ms, longer than the service time's p99 ({service.P99Ms:F2} ms). {(System.Runtime.GCSettings.IsServerGC ? "Run with --latency-tuning on (the default for an open loop unless DOTNET_gc* settings are given) for shorter, more frequent collections (docs/benchmarks.md)." : "Lower --rps, or give the generator a machine of its own.")}");
            }
        }

        if (r.Cpu is { } cpu)
        {
            AnsiConsole.WriteLine(CpuLine(cpu));
        }

        AnsiConsole.WriteLine($"Peak database connections: {r.PeakDatabaseConnections} open, {r.PeakBusyDatabaseConnections} busy (primary and replicas)");
        AnsiConsole.WriteLine(coverage is null
            ? "Index coverage: n/a (plans not readable)"
            : $"Index coverage: {coverage.ByCalls:P1} of requests run on plans without sequential scans of large tables" +
              (coverage.Uncovered.Count > 0 ? $"; not covered: {string.Join(", ", coverage.Uncovered.Select(u => $"{u.Query} ({string.Join(", ", u.SeqScannedTables)})"))}" : string.Empty));
        AnsiConsole.WriteLine(cache.Hits + cache.Misses == 0
            ? "Cache: not used"
            : $"Cache hit rate: {(double)cache.Hits / (cache.Hits + cache.Misses):P1} ({cache.Hits} hits, {cache.Misses} misses, the run's unmeasured warm-up included)" +
              (idealHitRate is { } ideal ? $"; an ideal cache would have hit {ideal:P1} of these requests (each key's first request misses)" : string.Empty) +
              (result.IdealCacheHitRateWithInvalidation is { } correct ? $", {correct:P1} if it honours the writes' invalidations" : string.Empty));
        foreach (var c in result.Strategies.Where(c => c.RedisBypasses > 0))
        {
            AnsiConsole.WriteLine($"Cache strategy {c.Strategy}: misses skipped Redis {c.RedisBypasses} time(s), where it cost more than the queries it saved; now {CacheStatsCommand.RedisTier(!c.RedisBypassed, c.RedisCostMicrosPerMiss, c.RedisSavingMicrosPerMiss)}");
        }

        AnsiConsole.MarkupLine($"Rows written: {r.RowsWritten} reported, {r.DatabaseRowsChanged} counted by the database: {(r.WritesVerified ? "[green]match[/]" : "[red]MISMATCH[/]")}" +
                               (r.WritesInDoubt > 0 ? $" (up to {r.WritesInDoubt} more allowed: writes that failed but may have committed)" : "") +
                               (r.UncheckedTables.Count > 0 ? $" (not checked: {Output.Esc(string.Join(", ", r.UncheckedTables))}, written by INSERT … ON CONFLICT)" : ""));
        WorkloadRunCommand.Render(r.Run);
    }
}
