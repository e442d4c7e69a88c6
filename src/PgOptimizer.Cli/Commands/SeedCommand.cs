using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Samples.Pitches;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class SeedSettings : DatabaseSettings
{
    [CommandOption("-s|--scale <SCALE>")]
    [Description("Data size: 1 ≈ 100k users, 1M pitches, 5M events (≈1.5 GB). Default 1.")]
    public string Scale { get; init; } = "1";

    [CommandOption("--seed <SEED>")]
    [Description("Random seed: the same seed gives the same data. Default 42.")]
    public int Seed { get; init; } = 42;

    [CommandOption("--keep-stats")]
    [Description("Do not reset pg_stat_statements after loading.")]
    public bool KeepStats { get; init; }

    internal double ParsedScale() => ParseScale(Scale);

    internal static double ParseScale(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s)
            ? s
            : throw new PgOptimizerConfigurationException($"--scale '{text}' is not a number; write e.g. 1, 0.1 or 0.01.");
}

/// <summary>pgopt seed: the demo schema and data.</summary>
public sealed class SeedCommand : AsyncCommand<SeedSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SeedSettings settings, CancellationToken cancellationToken)
    {
        var options = new SeedOptions { Scale = settings.ParsedScale(), Seed = settings.Seed, ResetStatementStats = !settings.KeepStats };
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var manager = services.GetRequiredService<PgConnectionManager>();
        var report = await RunAsync(manager, options, settings.Json, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(report);
        }
        else
        {
            Render(report, manager.Primary.Description);
        }

        return ExitCodes.Ok;
    }

    internal static async Task<SeedReport> RunAsync(PgConnectionManager manager, SeedOptions options, bool quiet, CancellationToken ct)
    {
        if (quiet)
        {
            return await PitchesDemo.SeedAsync(manager.Primary.DataSource, options, null, ct).ConfigureAwait(false);
        }

        SeedReport? report = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"Seeding scale {options.Scale.ToString(CultureInfo.InvariantCulture)}", maxValue: 1);
                var progress = new InlineProgress<SeedProgress>(p =>
                {
                    task.MaxValue = p.Total;
                    task.Value = p.Done;
                    task.Description = $"Seeding: {Output.Esc(p.Step)}";
                });
                report = await PitchesDemo.SeedAsync(manager.Primary.DataSource, options, progress, ct).ConfigureAwait(false);
                task.Description = "Seeded";
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return report!;
    }

    internal static void Render(SeedReport report, string target)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]Demo data in {Output.Esc(target)}[/] (scale {report.Scale.ToString(CultureInfo.InvariantCulture)}, seed {report.Seed})");
        table.AddColumn("Table");
        table.AddColumn(new TableColumn("Rows").RightAligned());
        table.AddColumn(new TableColumn("Size").RightAligned());
        foreach (var t in report.Tables)
        {
            table.AddRow(t.Table, Output.N(t.Rows), Output.Bytes(t.Bytes));
        }

        table.AddRow("[bold]total[/]", $"[bold]{Output.N(report.TotalRows)}[/]", Output.Bytes(report.Tables.Sum(t => t.Bytes)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Loaded in [bold]{report.Elapsed.TotalSeconds:F1} s[/] ({Output.N(report.TotalRows / Math.Max(0.001, report.Elapsed.TotalSeconds))} rows/s){(report.ReplacedExisting ? "; replaced earlier demo data" : string.Empty)}.");
        AnsiConsole.MarkupLine("Steps: " + string.Join(", ", report.Steps.Select(s => $"{s.Step} {s.Elapsed.TotalSeconds:F1}s")));
    }
}
