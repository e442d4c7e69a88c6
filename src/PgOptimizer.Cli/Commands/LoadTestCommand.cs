using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;
using PgOptimizer.LoadTesting;
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
}

/// <summary>pgopt loadtest: the demo workload under load, open or closed loop, with the spec's report.</summary>
public sealed class LoadTestCommand : AsyncCommand<LoadTestSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, LoadTestSettings settings, CancellationToken cancellationToken)
    {
        var options = new LoadTestOptions
        {
            Rate = settings.Rps,
            Concurrency = settings.Concurrency,
            Duration = DurationParser.Parse(settings.Duration, "--duration"),
            Warmup = DurationParser.Parse(settings.Warmup, "--warmup", allowZero: true),
            Seed = settings.Seed,
        };
        if (settings.Concurrency is < 1 or > 4096)
        {
            throw new PgOptimizerConfigurationException($"--concurrency {settings.Concurrency} is out of range; give 1 to 4096.");
        }

        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose, o => o.MaxPoolSize = Math.Max(o.MaxPoolSize, settings.Concurrency), longRunning: true, tuneCache: c => c.WarmupConcurrency = Math.Clamp(settings.Concurrency, 1, 256));
        await using var monitoring = MonitoringScope.Start(services);
        var manager = services.GetRequiredService<PgConnectionManager>();
        var workload = await WorkloadRunCommand.LoadWorkloadAsync(manager, cancellationToken).ConfigureAwait(false);
        var mix = WorkloadMix.Parse(workload, settings.Mix);
        await using var raw = settings.Raw
            ? new NpgsqlDataSourceBuilder(RawSettings(resolved.Connection!, manager)).Build()
            : null;
        IOperationExecutor executor = raw is null ? new ConnectionManagerExecutor(manager) : new RawNpgsqlExecutor(raw);
        var cache = raw is null && !settings.NoCache ? services.GetRequiredService<PgOptimizer.Caching.SmartCache>() : null;
        var cached = cache is null ? null : new CachedExecutor(executor, cache);
        executor = cached ?? executor;

        if (settings.CacheWarmup < 0 || settings.CacheWarmup > 10_000_000)
        {
            throw new PgOptimizerConfigurationException($"--cache-warmup {settings.CacheWarmup} is out of range; give 0 to 10000000 requests.");
        }

        // The ideal hit rate assumes a cold cache: it is left out when Redis already holds entries.
        var coldStart = cache is null || !cache.UsesRedis
            || (await cache.CountRedisKeysAsync(services.GetRequiredService<RedisConnection>(), 1, cancellationToken).ConfigureAwait(false) is { } keys && keys.Values.Sum() == 0);
        var idealHitRate = () => coldStart ? cached?.IdealHitRate : null;
        WarmupReport? warmed = null;
        if (cache is not null && settings.CacheWarmup > 0)
        {
            warmed = await WorkloadWarmup.RunAsync(workload, mix, new ConnectionManagerExecutor(manager), cache, settings.CacheWarmup, settings.Seed, workload.CreateRandom, cached, cancellationToken).ConfigureAwait(false);
            if (!settings.Json)
            {
                AnsiConsole.MarkupLine(Output.Esc($"Cache warmed with {warmed.Loaded} of {warmed.Items} distinct keys from {settings.CacheWarmup} sampled requests in {warmed.Elapsed.TotalSeconds:F1} s{(warmed.Failed.Count > 0 ? $"; {warmed.Failed.Count} failed" : string.Empty)}."));
            }
        }

        var cacheBefore = DemoBenchmark.CacheTotals(cache);

        LoadTestReport? report = null;
        if (settings.Json)
        {
            report = await LoadTester.RunAsync(workload, mix, executor, manager.Primary.DataSource, options, workload.CreateRandom, null, raw, Replicas(manager), cancellationToken).ConfigureAwait(false);
            var (hits, misses) = Delta(cacheBefore, DemoBenchmark.CacheTotals(cache));
            var coverage = await CoverageAsync(services.GetRequiredService<IndexManager>(), workload, report, cancellationToken).ConfigureAwait(false);
            Output.WriteJson(new
            {
                report.Mode, executor = executor.Name, cacheWarmup = warmed is null ? null : new { warmed.Items, warmed.Loaded, failed = warmed.Failed.Count, elapsedSeconds = warmed.Elapsed.TotalSeconds }, cacheHitRate = hits + misses == 0 ? (double?)null : (double)hits / (hits + misses), idealCacheHitRate = idealHitRate(), report.IntendedRate, achievedRate = report.Run.Throughput, totalRequests = report.Run.Calls + report.Run.Errors,
                successRate = report.SuccessRate, errors = report.Run.Errors, latency = report.Run.Latency, report.ServiceTime, report.Delayed,
                report.PeakDatabaseConnections, peakBusyDatabaseConnections = report.PeakBusyDatabaseConnections, indexCoverage = coverage?.ByCalls, uncoveredOperations = coverage?.Uncovered.Select(u => new { operation = u.Query, tables = u.SeqScannedTables }),
                report.RowsWritten, report.DatabaseRowsChanged, report.WritesVerified, report.UncheckedTables, operations = report.Run.Operations,
            });
        }
        else
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("Load test", maxValue: options.Duration.TotalSeconds);
                    var progress = new Progress<WorkloadProgress>(p =>
                    {
                        task.Value = Math.Min(p.Elapsed.TotalSeconds, task.MaxValue);
                        task.Description = LiveDescription($"Load test ({executor.Name})", p, cache, cacheBefore);
                    });
                    report = await LoadTester.RunAsync(workload, mix, executor, manager.Primary.DataSource, options, workload.CreateRandom, progress, raw, Replicas(manager), cancellationToken).ConfigureAwait(false);
                    task.Value = task.MaxValue;
                }).ConfigureAwait(false);
            var coverage = await CoverageAsync(services.GetRequiredService<IndexManager>(), workload, report!, cancellationToken).ConfigureAwait(false);
            Render(report!, executor.Name, Delta(cacheBefore, DemoBenchmark.CacheTotals(cache)), coverage, idealHitRate());
        }

        return report!.Run.Errors == 0 && report.WritesVerified ? ExitCodes.Ok : ExitCodes.Findings;
    }

    /// <summary>One line of live progress: requests, rate, p95 of the last second, errors, cache hit rate so far.</summary>
    internal static string LiveDescription(string label, WorkloadProgress p, PgOptimizer.Caching.SmartCache? cache, (long Hits, long Misses) cacheBefore)
    {
        var rate = p.Elapsed.TotalSeconds > 0 ? p.Operations / p.Elapsed.TotalSeconds : 0;
        var p95 = p.RecentP95Ms is { } ms ? $", p95 {ms:F1} ms" : string.Empty;
        var (hits, misses) = Delta(cacheBefore, DemoBenchmark.CacheTotals(cache));
        var hit = hits + misses > 0 ? $", cache hit {(double)hits / (hits + misses):P0}" : string.Empty;
        return Output.Esc($"{label}: {Output.N(p.Operations)} requests, {Output.N(rate)}/s{p95}, {p.Errors} errors{hit}");
    }

    private static List<NpgsqlDataSource> Replicas(PgConnectionManager manager) => manager.Replicas.Select(r => r.DataSource).ToList();

    /// <summary>The baseline's data source: the same pool size and automatic preparation as the manager's, nothing else.</summary>
    internal static string RawSettings(string connection, PgConnectionManager manager)
    {
        var b = ConnectionStringParser.Parse(connection, "connection string");
        b.MaxPoolSize = manager.Primary.MaxPoolSize;
        b.MaxAutoPrepare = manager.Primary.Host.IsPooler ? 0 : manager.Options.MaxAutoPrepare;
        b.ApplicationName = "pgopt-raw";
        return b.ConnectionString;
    }

    private static (long Hits, long Misses) Delta((long Hits, long Misses) before, (long Hits, long Misses) after) => (after.Hits - before.Hits, after.Misses - before.Misses);

    /// <summary>
    /// Index coverage of the load test: the share of its requests whose operation's generic plan scans
    /// no large table sequentially (operations named in place of statements). Null when plans cannot be
    /// read (e.g. no privilege).
    /// </summary>
    internal static async Task<IndexCoverage?> CoverageAsync(IndexManager indexes, IWorkload workload, LoadTestReport report, CancellationToken ct)
    {
        var sql = workload.Operations.ToDictionary(o => o.Name, o => o.Sql, StringComparer.Ordinal);
        var statements = report.Run.Operations.Where(o => o.Calls > 0)
            .Select(o => new StatementStatistics(0, sql[o.Name], o.Calls, o.Latency.MeanMs * o.Calls, o.Rows))
            .ToList();
        try
        {
            var coverage = await indexes.CoverageOfAsync(statements, ct).ConfigureAwait(false);
            var names = workload.Operations.ToDictionary(o => o.Sql, o => o.Name, StringComparer.Ordinal);
            return coverage with { Uncovered = coverage.Uncovered.Select(u => u with { Query = names.GetValueOrDefault(u.Query, u.Query) }).ToList() };
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    private static void Render(LoadTestReport r, string executor, (long Hits, long Misses) cache, IndexCoverage? coverage, double? idealHitRate)
    {
        var l = r.Run.Latency;
        var total = r.Run.Calls + r.Run.Errors;
        AnsiConsole.MarkupLine($"[bold]Load test[/] — {r.Mode}{(r.IntendedRate is { } rate ? $" at {Output.N(rate)} req/s" : $", {r.Run.Concurrency} workers")}, {executor}, {r.Run.Elapsed.TotalSeconds:F0} s measured");
        AnsiConsole.WriteLine($"Total Requests: {total.ToString("N0", CultureInfo.InvariantCulture)}");
        AnsiConsole.WriteLine($"Success Rate: {r.SuccessRate:P2}");
        AnsiConsole.WriteLine($"Average Response Time: {l.MeanMs:F2}ms");
        AnsiConsole.WriteLine($"P95 Response Time: {l.P95Ms:F2}ms");
        AnsiConsole.WriteLine($"P99 Response Time: {l.P99Ms:F2}ms");
        AnsiConsole.WriteLine($"Error Rate: {(total == 0 ? 0 : (double)r.Run.Errors / total):P2}");
        AnsiConsole.WriteLine($"Throughput: {r.Run.Throughput:F1} req/s");
        if (r.ServiceTime is { } s)
        {
            AnsiConsole.WriteLine($"Service time (from actual start): p50 {s.P50Ms:F2}ms, p99 {s.P99Ms:F2}ms; requests that waited for a free slot: {r.Delayed}");
        }

        AnsiConsole.WriteLine($"Peak database connections: {r.PeakDatabaseConnections} open, {r.PeakBusyDatabaseConnections} busy (primary and replicas)");
        AnsiConsole.WriteLine(coverage is null
            ? "Index coverage: n/a (plans not readable)"
            : $"Index coverage: {coverage.ByCalls:P1} of requests run on plans without sequential scans of large tables" +
              (coverage.Uncovered.Count > 0 ? $"; not covered: {string.Join(", ", coverage.Uncovered.Select(u => $"{u.Query} ({string.Join(", ", u.SeqScannedTables)})"))}" : string.Empty));
        AnsiConsole.WriteLine(cache.Hits + cache.Misses == 0
            ? "Cache: not used"
            : $"Cache hit rate: {(double)cache.Hits / (cache.Hits + cache.Misses):P1} ({cache.Hits} hits, {cache.Misses} misses, warm-up included)" +
              (idealHitRate is { } ideal ? $"; an ideal cache would have hit {ideal:P1} of these requests (each key's first request misses)" : string.Empty));
        AnsiConsole.MarkupLine($"Rows written: {r.RowsWritten} reported, {r.DatabaseRowsChanged} counted by the database: {(r.WritesVerified ? "[green]match[/]" : "[red]MISMATCH[/]")}" +
                               (r.UncheckedTables.Count > 0 ? $" (not checked: {Output.Esc(string.Join(", ", r.UncheckedTables))}, written by INSERT … ON CONFLICT)" : ""));
        WorkloadRunCommand.Render(r.Run);
    }
}
