using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Samples.Pitches;
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

    [CommandOption("--neon-project <ID>")]
    [Description("Also price this Neon project before and after its quick wins (the Monthly Cost row); the key comes from $NEON_API_KEY. Default $NEON_PROJECT_ID when --neon-api-url is given.")]
    public string? NeonProject { get; init; }

    [CommandOption("--neon-api-url <URL>")]
    [Description("Neon's API for the Monthly Cost row (scripts/demo.sh passes its local double's).")]
    public string? NeonApiUrl { get; init; }

    [CommandOption("--apply-quick-wins")]
    [Description("Apply the project's quick wins and price it again (scripts/demo.sh does so on its local double). Without it the after figure is projected and nothing changes.")]
    public bool ApplyQuickWins { get; init; }

    [CommandOption("-y|--yes")]
    [Description("Do not ask before writing demo tables into a database you named.")]
    public bool Yes { get; init; }
}

/// <summary>
/// pgopt demo: with no connection given, starts the local services (scripts/services.sh); then runs
/// the sample's <see cref="DemoRunner"/> (seed, check, before, deploy + cache, after, raw) and prints
/// the measured before/after table, also written as Markdown and JSON.
/// </summary>
public sealed class DemoCommand : AsyncCommand<DemoSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DemoSettings settings, CancellationToken cancellationToken)
    {
        var options = new DemoRunOptions
        {
            Seed = new SeedOptions { Scale = SeedSettings.ParseScale(settings.Scale), Seed = settings.Seed },
            Reseed = settings.Reseed,
            Duration = DurationParser.Parse(settings.Duration, "--duration"),
            Concurrency = settings.Concurrency is >= 1 and <= 1024
                ? settings.Concurrency
                : throw new PgOptimizerConfigurationException($"--concurrency {settings.Concurrency} is out of range; give 1 to 1024."),
            CacheWarmupRequests = settings.CacheWarmup is >= 0 and <= 10_000_000
                ? settings.CacheWarmup
                : throw new PgOptimizerConfigurationException($"--cache-warmup {settings.CacheWarmup} is out of range; give 0 to 10000000 requests."),
        };
        var console = new DemoConsole(settings.Json);

        var resolved = CliRuntime.Resolve(settings);
        var local = string.IsNullOrWhiteSpace(resolved.Connection);
        if (local)
        {
            console.Line("Starting local PostgreSQL 15 (primary + two streaming replicas) and Redis 7");
            var env = await LocalServices.UpAsync(console.Note, cancellationToken).ConfigureAwait(false);
            resolved = CliRuntime.Resolve(settings, env);
        }
        else
        {
            console.Line($"Using the database from {resolved.ConnectionSource}");
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

        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose, o => o.MaxPoolSize = Math.Max(o.MaxPoolSize, settings.Concurrency * 2), longRunning: true,
            tuneCache: c => c.WarmupConcurrency = Math.Clamp(settings.Concurrency, 1, 256));
        await using var monitoring = MonitoringScope.Start(services);
        var runner = ActivatorUtilities.CreateInstance<DemoRunner>(services);
        DemoReport report;
        try
        {
            report = await runner.RunAsync(options, console, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            console.EndBar();
        }

        if (settings.NeonApiUrl is not null || settings.NeonProject is not null)
        {
            console.Line("Pricing the Neon project before and after its quick wins");
            report = report with { MonthlyCost = await MonthlyCostAsync(settings, cancellationToken).ConfigureAwait(false) };
        }

        var markdown = report.ToMarkdown();
        Directory.CreateDirectory(settings.Output);
        var mdPath = Path.Combine(settings.Output, "report.md");
        var jsonPath = Path.Combine(settings.Output, "report.json");
        await File.WriteAllTextAsync(mdPath, markdown, cancellationToken).ConfigureAwait(false);
        var summary = new
        {
            scale = report.Scale, concurrency = report.Concurrency, durationSeconds = report.DurationSeconds, seed = report.Seed,
            doctor = new { healthy = report.Doctor.Healthy, report.Doctor.Checks },
            deploy = new { report.Deploy.Succeeded, steps = report.Deploy.Steps },
            before = report.Before, after = report.After, raw = report.Raw, monthlyCost = report.MonthlyCost,
        };
        await File.WriteAllTextAsync(jsonPath, System.Text.Json.JsonSerializer.Serialize(summary, Output.Json), cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(summary);
        }
        else
        {
            AnsiConsole.WriteLine();
            AnsiConsole.Write(new Markup(Output.Esc(markdown)));
            AnsiConsole.MarkupLine($"Written to [bold]{Output.Esc(mdPath)}[/] and [bold]{Output.Esc(jsonPath)}[/].");
            if (local)
            {
                AnsiConsole.MarkupLine("The local services keep running. Connection settings: [bold]scripts/services.sh env[/]; stop them with [bold]scripts/services.sh down[/].");
            }
        }

        return report.Succeeded ? ExitCodes.Ok : ExitCodes.Findings;
    }

    /// <summary>The project's monthly cost at the recent rate, then after its quick wins: applied and priced again, or projected.</summary>
    private static async Task<DemoMonthlyCost> MonthlyCostAsync(DemoSettings settings, CancellationToken ct)
    {
        var cost = new CostSettings { Project = settings.NeonProject, NeonApiUrl = settings.NeonApiUrl, ConfigFile = settings.ConfigFile, Verbose = settings.Verbose };
        await using var services = CostRuntime.Build(cost, withDatabase: false);
        var optimizer = services.GetRequiredService<PgOptimizer.Cost.NeonCostOptimizer>();
        var before = await optimizer.GenerateReportAsync(ct).ConfigureAwait(false);
        var wins = await optimizer.ImplementQuickWinsAsync(null, dryRun: !settings.ApplyQuickWins, ct).ConfigureAwait(false);
        if (!settings.ApplyQuickWins)
        {
            return new DemoMonthlyCost(before.Project, before.Summary.CurrentMonthlyCost, wins.MonthlyCostAfter, "quick wins projected, nothing changed");
        }

        var after = await optimizer.GenerateReportAsync(ct).ConfigureAwait(false);
        return new DemoMonthlyCost(before.Project, before.Summary.CurrentMonthlyCost, after.Summary.CurrentMonthlyCost, $"{wins.Results.Count(r => r.Applied)} quick wins applied, priced again");
    }

    /// <summary>Renders the demo's progress: steps and notes as lines (stderr with --json), seeding and load tests as bars.</summary>
    private sealed class DemoConsole(bool json) : IProgress<DemoProgress>
    {
        private LiveBar? _bar;
        private string? _barFor;

        public void Report(DemoProgress value)
        {
            switch (value)
            {
                case DemoSeeding s when !json:
                    Bar("seed", "Seeding", s.Seed.Total, showRemaining: false).Update(s.Seed.Done, $"Seeding: {s.Seed.Step}", s.Seed.Total);
                    break;
                case DemoLoading l when !json:
                    Bar(l.Phase, $"Load test {l.Phase}", l.Duration.TotalSeconds, showRemaining: true).Update(l.Load.Run.Elapsed.TotalSeconds, LoadTestCommand.LiveDescription($"Load test {l.Phase}", l.Load));
                    break;
                case DemoStepStarted step:
                    Line($"{step.Number}/{step.Of} {step.Text}", $"[bold blue]{step.Number}/{step.Of}[/] {Output.Esc(step.Text)}");
                    break;
                case DemoNote note:
                    Note(note.Text);
                    break;
                case DemoSeeded seeded when !json:
                    EndBar();
                    SeedCommand.Render(seeded.Report, "the database");
                    break;
                case DemoChecked check when !json:
                    EndBar();
                    DoctorCommand.Render(check.Report);
                    break;
            }
        }

        public void Line(string text) => Line(text, $"[bold blue]-[/] {Output.Esc(text)}");

        public void Note(string text)
        {
            EndBar();
            if (json)
            {
                Console.Error.WriteLine(text);
            }
            else
            {
                AnsiConsole.MarkupLine($"    [grey]{Output.Esc(text)}[/]");
            }
        }

        public void EndBar()
        {
            _bar?.Dispose();
            (_bar, _barFor) = (null, null);
        }

        private void Line(string plain, string markup)
        {
            EndBar();
            if (json)
            {
                Console.Error.WriteLine(plain);
            }
            else
            {
                AnsiConsole.MarkupLine(markup);
            }
        }

        private LiveBar Bar(string key, string description, double max, bool showRemaining)
        {
            if (_barFor != key)
            {
                EndBar();
                (_bar, _barFor) = (new LiveBar(description, max, showRemaining), key);
            }

            return _bar!;
        }
    }
}
