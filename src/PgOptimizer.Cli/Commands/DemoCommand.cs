using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
using PgOptimizer.Indexing;
using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Workload;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class DemoSettings : DatabaseSettings
{
    [CommandOption("-s|--scale <SCALE>")]
    [Description("Demo data size (1 ≈ 1.5 GB, loads in about a minute on 2 cores). Default 1.")]
    public string Scale { get; init; } = "1";

    [CommandOption("--seed <SEED>")]
    [Description("Random seed of the data. Default 42.")]
    public int Seed { get; init; } = 42;

    [CommandOption("-d|--duration <DURATION>")]
    [Description("How long each load test (before and after) runs. Default 30s.")]
    public string Duration { get; init; } = "30s";

    [CommandOption("--concurrency <N>")]
    [Description("Workers of the load tests (closed loop). Default 16.")]
    public int Concurrency { get; init; } = 16;

    [CommandOption("-o|--output <DIR>")]
    [Description("Where to write the before/after table as report.md and report.json. Default pgopt-demo.")]
    public string Output { get; init; } = "pgopt-demo";

    [CommandOption("--reseed")]
    [Description("Load the data again even when the same scale and seed are already there.")]
    public bool Reseed { get; init; }

    [CommandOption("--cache-warmup <REQUESTS>")]
    [Description("Before the optimized run, warm the cache with the distinct keys of this many requests sampled from the workload. Default 20000; 0 to start cold.")]
    public int CacheWarmup { get; init; } = 20_000;

    [CommandOption("-y|--yes")]
    [Description("Do not ask before writing demo tables into a database you named.")]
    public bool Yes { get; init; }
}

/// <summary>
/// pgopt demo: with no connection given, starts the local services (scripts/services.sh), then
/// seeds the demo data, checks the setup, load-tests the unoptimized schema without cache, deploys
/// the index catalog and turns the cache on, load-tests again, and prints (and writes as Markdown
/// and JSON) the specification's Performance Benchmarks table with the measured numbers.
/// </summary>
public sealed class DemoCommand : AsyncCommand<DemoSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DemoSettings settings, CancellationToken cancellationToken)
    {
        var scale = SeedSettings.ParseScale(settings.Scale);
        var seedOptions = new SeedOptions { Scale = scale, Seed = settings.Seed };
        var duration = DurationParser.Parse(settings.Duration, "--duration");
        if (settings.Concurrency is < 1 or > 1024)
        {
            throw new PgOptimizerConfigurationException($"--concurrency {settings.Concurrency} is out of range; give 1 to 1024.");
        }

        if (settings.CacheWarmup is < 0 or > 10_000_000)
        {
            throw new PgOptimizerConfigurationException($"--cache-warmup {settings.CacheWarmup} is out of range; give 0 to 10000000 requests.");
        }

        var loadOptions = new LoadTestOptions { Duration = duration, Concurrency = settings.Concurrency, Warmup = TimeSpan.FromSeconds(3), Seed = 1 };

        var resolved = CliRuntime.Resolve(settings);
        var local = string.IsNullOrWhiteSpace(resolved.Connection);
        if (local)
        {
            Step("1/8", "Starting local PostgreSQL 15 (primary + streaming replica) and Redis 7");
            var env = await LocalServices.UpAsync(line => Note(line), cancellationToken).ConfigureAwait(false);
            resolved = CliRuntime.Resolve(settings, env);
        }
        else
        {
            Step("1/8", $"Using the database from {resolved.ConnectionSource}");
            if (!settings.Yes)
            {
                if (Console.IsInputRedirected || settings.Json)
                {
                    throw new PgOptimizerConfigurationException(
                        "pgopt demo writes demo tables into the database you named; confirm with --yes (nothing was changed).");
                }

                if (!await AnsiConsole.ConfirmAsync($"Create the demo tables in {Output.Esc(ConnectionStringParser.Redact(resolved.Connection!))}?", false, cancellationToken).ConfigureAwait(false))
                {
                    AnsiConsole.MarkupLine("Nothing was changed.");
                    return ExitCodes.Ok;
                }
            }
        }

        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose, o => o.MaxPoolSize = Math.Max(o.MaxPoolSize, settings.Concurrency * 2), longRunning: true, tuneCache: c => c.WarmupConcurrency = Math.Clamp(settings.Concurrency, 1, 256));
        await using var monitoring = MonitoringScope.Start(services);
        var manager = services.GetRequiredService<PgConnectionManager>();

        Step("2/8", $"Seeding demo data into {manager.Primary.Description}");
        var existing = await PitchesDemo.ReadKeySpaceAsync(manager.Primary.DataSource, cancellationToken).ConfigureAwait(false);
        SeedReport? seed = null;
        if (!settings.Reseed && existing is not null && existing.Seed == seedOptions.Seed && Math.Abs(existing.Scale - scale) < 1e-9)
        {
            Note($"demo data of scale {scale.ToString(CultureInfo.InvariantCulture)}, seed {existing.Seed} is already there (use --reseed to load it again)");
        }
        else
        {
            seed = await SeedCommand.RunAsync(manager, seedOptions, settings.Json, cancellationToken).ConfigureAwait(false);
            if (!settings.Json)
            {
                SeedCommand.Render(seed, manager.Primary.Description);
            }
        }

        Step("3/8", "Checking the setup");
        var doctor = await services.GetRequiredService<Doctor>().RunAsync(cancellationToken).ConfigureAwait(false);
        if (!settings.Json)
        {
            DoctorCommand.Render(doctor);
        }

        var workload = await WorkloadRunCommand.LoadWorkloadAsync(manager, cancellationToken).ConfigureAwait(false);
        var mix = WorkloadMix.Parse(workload, null);
        var replicas = manager.Replicas.Select(r => r.DataSource).ToList();
        var indexes = services.GetRequiredService<IndexManager>();
        var cache = services.GetRequiredService<PgOptimizer.Caching.SmartCache>();

        Step("4/8", "Back to the unoptimized schema (dropping optimization indexes of the demo tables)");
        var dropped = await DemoBenchmark.DropOptimizationIndexesAsync(manager.Primary.DataSource, cancellationToken).ConfigureAwait(false);
        Note($"{dropped} index(es) dropped");

        Step("5/8", $"Load test BEFORE: {settings.Concurrency} workers for {duration.TotalSeconds:F0} s, no optimization indexes, cache off");
        var before = await PhaseAsync("before", new ConnectionManagerExecutor(manager), null).ConfigureAwait(false);

        Step("6/8", "Deploying the index catalog (CREATE INDEX CONCURRENTLY), turning the cache on and warming it");
        var deploy = await services.GetRequiredService<Deployer>().RunAsync(PitchesIndexes.Catalog, testOnly: false, null, cancellationToken).ConfigureAwait(false);
        Note(deploy.Apply is { } applied ? $"{applied.Results.Count} index(es) built in {applied.Elapsed.TotalSeconds:F1} s" : "nothing to build");

        Step("7/8", $"Load test AFTER: same workers and duration, indexes deployed, two-tier cache on{(cache.UsesRedis ? " (memory + Redis)" : " (memory)")}");
        // a defined starting point: nothing cached by earlier runs (then the ideal hit rate is meaningful)
        foreach (var strategy in cache.StrategyNames)
        {
            await cache.ClearStrategyAsync(strategy, cancellationToken).ConfigureAwait(false);
        }

        var cachedExecutor = new CachedExecutor(new ConnectionManagerExecutor(manager), cache);
        if (settings.CacheWarmup > 0)
        {
            var warmed = await WorkloadWarmup.RunAsync(workload, mix, new ConnectionManagerExecutor(manager), cache, settings.CacheWarmup, loadOptions.Seed, workload.CreateRandom, cachedExecutor, cancellationToken).ConfigureAwait(false);
            Note($"cache warmed with {warmed.Loaded} of {warmed.Items} distinct keys drawn from {settings.CacheWarmup} sampled requests in {warmed.Elapsed.TotalSeconds:F1} s");
        }

        var after = await PhaseAsync("after", cachedExecutor, cache).ConfigureAwait(false);
        after = after with { IdealCacheHitRate = cachedExecutor.IdealHitRate };

        Step("8/8", "Load test RAW: the same operations on plain Npgsql (no connection manager, no cache), for comparison");
        DemoPhase raw;
        await using (var rawSource = new NpgsqlDataSourceBuilder(LoadTestCommand.RawSettings(resolved.Connection!, manager)).Build())
        {
            raw = await PhaseAsync("raw", new RawNpgsqlExecutor(rawSource), null).ConfigureAwait(false);
        }

        var markdown = DemoBenchmark.Markdown(before, after, raw, scale, $"{settings.Concurrency} workers, {duration.TotalSeconds:F0} s per run, closed loop, {manager.Replicas.Count} replica(s)");
        Directory.CreateDirectory(settings.Output);
        var mdPath = Path.Combine(settings.Output, "report.md");
        var jsonPath = Path.Combine(settings.Output, "report.json");
        await File.WriteAllTextAsync(mdPath, markdown, cancellationToken).ConfigureAwait(false);
        var summary = new
        {
            scale, concurrency = settings.Concurrency, durationSeconds = duration.TotalSeconds, seed,
            doctor = new { healthy = doctor.Healthy, doctor.Checks },
            deploy = new { deploy.Succeeded, steps = deploy.Steps },
            before = Phase(before), after = Phase(after), raw = Phase(raw),
        };
        await File.WriteAllTextAsync(jsonPath, System.Text.Json.JsonSerializer.Serialize(summary, Output.Json), cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(summary);
        }
        else
        {
            AnsiConsole.WriteLine();
            AnsiConsole.Write(new Spectre.Console.Markup(Output.Esc(markdown)));
            AnsiConsole.MarkupLine($"Written to [bold]{Output.Esc(mdPath)}[/] and [bold]{Output.Esc(jsonPath)}[/].");
            if (local)
            {
                AnsiConsole.MarkupLine("The local services keep running. Connection settings: [bold]scripts/services.sh env[/]; stop them with [bold]scripts/services.sh down[/].");
            }
        }

        // the "before" run may time out on unindexed queries at scale 1: that is what it measures
        var ok = doctor.Healthy && deploy.Succeeded && after.Load.Run.Errors == 0;
        return ok ? ExitCodes.Ok : ExitCodes.Findings;

        async Task<DemoPhase> PhaseAsync(string name, IOperationExecutor executor, PgOptimizer.Caching.SmartCache? phaseCache)
        {
            var cacheBefore = DemoBenchmark.CacheTotals(phaseCache);
            LoadTestReport? load = null;
            if (settings.Json)
            {
                load = await LoadTester.RunAsync(workload, mix, executor, manager.Primary.DataSource, loadOptions, workload.CreateRandom, null, null, replicas, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask($"Load test {name}", maxValue: duration.TotalSeconds);
                        var progress = new Progress<WorkloadProgress>(p =>
                        {
                            task.Value = Math.Min(p.Elapsed.TotalSeconds, task.MaxValue);
                            task.Description = LoadTestCommand.LiveDescription($"Load test {name}", p, phaseCache, cacheBefore);
                        });
                        load = await LoadTester.RunAsync(workload, mix, executor, manager.Primary.DataSource, loadOptions, workload.CreateRandom, progress, null, replicas, cancellationToken).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                    }).ConfigureAwait(false);
            }

            var hit = DemoBenchmark.HitRate(cacheBefore, DemoBenchmark.CacheTotals(phaseCache));
            var coverage = (await LoadTestCommand.CoverageAsync(indexes, workload, load!, cancellationToken).ConfigureAwait(false))?.ByCalls;

            var phase = new DemoPhase(name, load!, hit, coverage);
            Note($"{name}: {load!.Run.Throughput:F1} req/s, p95 {load.Run.Latency.P95Ms:F1} ms, p99 {load.Run.Latency.P99Ms:F1} ms, errors {load.Run.Errors}, " +
                 $"peak connections {load.PeakBusyDatabaseConnections} busy / {load.PeakDatabaseConnections} open, writes {(load.WritesVerified ? "verified" : "NOT verified")}");
            return phase;
        }

        static object Phase(DemoPhase p) => new
        {
            throughput = p.Load.Run.Throughput, latency = p.Load.Run.Latency, requests = p.Load.Run.Calls + p.Load.Run.Errors, errors = p.Load.Run.Errors,
            cacheHitRate = p.CacheHitRate, idealCacheHitRate = p.IdealCacheHitRate, indexCoverage = p.IndexCoverage, peakDatabaseConnections = p.Load.PeakDatabaseConnections, peakBusyDatabaseConnections = p.Load.PeakBusyDatabaseConnections,
            rowsWritten = p.Load.RowsWritten, databaseRowsChanged = p.Load.DatabaseRowsChanged, writesVerified = p.Load.WritesVerified, operations = p.Load.Run.Operations,
        };

        void Step(string n, string what)
        {
            if (!settings.Json)
            {
                AnsiConsole.MarkupLine($"[bold blue]{n}[/] {Output.Esc(what)}");
            }
            else
            {
                Console.Error.WriteLine($"{n} {what}");
            }
        }

        void Note(string line)
        {
            if (settings.Json)
            {
                Console.Error.WriteLine(line);
            }
            else
            {
                AnsiConsole.MarkupLine($"    [grey]{Output.Esc(line)}[/]");
            }
        }
    }
}
