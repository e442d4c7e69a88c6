using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
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
    [Description("How long to replay the workload. Default 20s.")]
    public string Duration { get; init; } = "20s";

    [CommandOption("--reseed")]
    [Description("Load the data again even when the same scale and seed are already there.")]
    public bool Reseed { get; init; }

    [CommandOption("-y|--yes")]
    [Description("Do not ask before writing demo tables into a database you named.")]
    public bool Yes { get; init; }
}

/// <summary>
/// pgopt demo: with no connection given, starts the local services (scripts/services.sh), then
/// seeds the demo data, runs the doctor and replays the workload.
/// </summary>
public sealed class DemoCommand : AsyncCommand<DemoSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DemoSettings settings, CancellationToken cancellationToken)
    {
        var scale = SeedSettings.ParseScale(settings.Scale);
        var seedOptions = new SeedOptions { Scale = scale, Seed = settings.Seed };
        var duration = DurationParser.Parse(settings.Duration, "--duration");
        var workloadOptions = new WorkloadOptions { Duration = duration, Concurrency = 16, Seed = 1 };

        var resolved = CliRuntime.Resolve(settings);
        var local = string.IsNullOrWhiteSpace(resolved.Connection);
        if (local)
        {
            Step("1/4", "Starting local PostgreSQL 15 (primary + streaming replica) and Redis 7");
            var env = await LocalServices.UpAsync(line => Note(line), cancellationToken).ConfigureAwait(false);
            resolved = CliRuntime.Resolve(settings, env);
        }
        else
        {
            Step("1/4", $"Using the database from {resolved.ConnectionSource}");
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

        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose, o => o.MaxPoolSize = Math.Max(o.MaxPoolSize, 32));
        var manager = services.GetRequiredService<PgConnectionManager>();

        Step("2/4", $"Seeding demo data into {manager.Primary.Description}");
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

        Step("3/4", "Checking the setup");
        var doctor = await services.GetRequiredService<Doctor>().RunAsync(cancellationToken).ConfigureAwait(false);
        if (!settings.Json)
        {
            DoctorCommand.Render(doctor);
        }

        Step("4/4", $"Replaying the pitch platform's workload for {duration.TotalSeconds:F0} s ({workloadOptions.Concurrency} workers, through the connection manager)");
        var run = await WorkloadRunCommand.RunMonitoredAsync(services, workloadOptions, null, settings.Json, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(new
            {
                seed,
                doctor = new { healthy = doctor.Healthy, doctor.Checks },
                workload = new { run.Elapsed, run.Calls, run.Errors, run.Throughput, run.Latency, run.Operations },
            });
        }
        else
        {
            WorkloadRunCommand.Render(run);
            AnsiConsole.MarkupLine("These are the [bold]before[/] numbers: the demo schema ships without optimization indexes and the cache is off.");
            if (local)
            {
                AnsiConsole.MarkupLine("The local services keep running. Connection settings: [bold]scripts/services.sh env[/]; stop them with [bold]scripts/services.sh down[/].");
            }
        }

        return doctor.Healthy && run.Errors == 0 ? ExitCodes.Ok : ExitCodes.Findings;

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
