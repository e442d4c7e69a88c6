using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Hosting;
using PgOptimizer.Indexing;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class DeploySettings : IndexesSettings
{
    [CommandOption("--test-only")]
    [Description("Validate and plan only: change nothing.")]
    public bool TestOnly { get; init; }
}

/// <summary>pgopt deploy: validate, plan the index catalog, apply it concurrently, check health; exit 1 on any failure.</summary>
public sealed class DeployCommand : AsyncCommand<DeploySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DeploySettings settings, CancellationToken cancellationToken)
    {
        var catalog = settings.LoadCatalog();
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var deployer = services.GetRequiredService<Deployer>();
        DeployReport report;
        if (settings.Json)
        {
            report = await deployer.RunAsync(catalog, settings.TestOnly, null, cancellationToken).ConfigureAwait(false);
            Output.WriteJson(new
            {
                report.TestOnly, report.Succeeded, elapsed = report.Elapsed.TotalSeconds, report.Steps,
                changes = report.Plan?.Changes.Select(c => new { c.Name, c.Table, kind = c.Kind.ToString().ToLowerInvariant() }),
                applied = report.Apply?.Results, health = report.Health?.Status,
            });
        }
        else
        {
            DeployReport? done = null;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(settings.TestOnly ? "Deploy (test only)" : "Deploy", maxValue: 100);
                    var progress = new InlineProgress<IndexBuildProgress>(p =>
                    {
                        task.Description = $"Building {Output.Esc(p.Index)} ({p.Number}/{p.Total}, {Output.Esc(p.Phase)})";
                        var within = p.BlocksTotal > 0 ? (double)p.BlocksDone / p.BlocksTotal : 0;
                        task.Value = Math.Min(99, 100.0 * (p.Number - 1 + within) / Math.Max(1, p.Total));
                    });
                    done = await deployer.RunAsync(catalog, settings.TestOnly, progress, cancellationToken).ConfigureAwait(false);
                    task.Value = 100;
                }).ConfigureAwait(false);
            report = done!;
            Render(report);
        }

        return report.Succeeded ? ExitCodes.Ok : ExitCodes.Findings;
    }

    private static void Render(DeployReport r)
    {
        var t = new Table().Border(TableBorder.Rounded).AddColumn("Step").AddColumn("Status").AddColumn("Detail");
        foreach (var s in r.Steps)
        {
            var color = s.Status switch { CheckStatus.Error => "red", CheckStatus.Warning => "yellow", CheckStatus.Ok => "green", _ => "grey" };
            t.AddRow(Output.Esc(s.Name), $"[{color}]{s.Status.ToString().ToLowerInvariant()}[/]", Output.Esc(s.Detail + (s.Fix is null ? "" : $"\n→ {s.Fix}")));
        }

        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine(r.Succeeded
            ? $"[green]Deployment {(r.TestOnly ? "check passed (nothing changed)" : "succeeded")}[/] in {r.Elapsed.TotalSeconds:F1} s."
            : "[red]Deployment failed[/]: see the steps above.");
    }
}
