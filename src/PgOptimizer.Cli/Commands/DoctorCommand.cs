using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

/// <summary>pgopt doctor: is everything PgOptimizer needs in place, and if not, how to fix it.</summary>
public sealed class DoctorCommand : AsyncCommand<DatabaseSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DatabaseSettings settings, CancellationToken cancellationToken)
    {
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var report = await services.GetRequiredService<Doctor>().RunAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(new { healthy = report.Healthy, report.Server, report.Extensions, report.Replicas, report.Redis, report.Checks });
        }
        else
        {
            Render(report);
        }

        return report.Healthy ? ExitCodes.Ok : ExitCodes.Findings;
    }

    internal static void Render(DoctorReport report)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]pgopt doctor[/]");
        table.AddColumn("Check");
        table.AddColumn("Status");
        table.AddColumn("Detail");
        foreach (var c in report.Checks)
        {
            var status = c.Status switch
            {
                CheckStatus.Ok => "[green]ok[/]",
                CheckStatus.Info => "[blue]info[/]",
                CheckStatus.Warning => "[yellow]warning[/]",
                _ => "[red]error[/]",
            };
            table.AddRow(Output.Esc(c.Name), status, Output.Esc(c.Detail));
        }

        AnsiConsole.Write(table);
        var fixes = report.Checks.Where(c => c.Fix is not null && c.Status is CheckStatus.Error or CheckStatus.Warning).ToList();
        if (fixes.Count > 0)
        {
            AnsiConsole.MarkupLine("[bold]How to fix:[/]");
            foreach (var c in fixes)
            {
                AnsiConsole.MarkupLine($"  [{(c.Status == CheckStatus.Error ? "red" : "yellow")}]{Output.Esc(c.Name)}[/]: {Output.Esc(c.Fix)}");
            }
        }

        AnsiConsole.MarkupLine(report.Healthy
            ? "[green]Ready.[/]"
            : $"[red]Not ready: {report.Checks.Count(c => c.Status == CheckStatus.Error)} required check(s) failed.[/]");
    }
}
