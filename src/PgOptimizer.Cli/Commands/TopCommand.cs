using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Monitoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class TopSettings : DatabaseSettings
{
    [CommandOption("-i|--interval <DURATION>")]
    [Description("Length of each interval: 5s, 1m, ... Default 5s.")]
    public string Interval { get; init; } = "5s";

    [CommandOption("-n|--count <N>")]
    [Description("Intervals to show, then exit (0 = until Ctrl+C). Default 0; with --json, default 1.")]
    public int? Count { get; init; }
}

/// <summary>pgopt top: the statements that took the most time in the last interval, with server rates.</summary>
public sealed class TopCommand : AsyncCommand<TopSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TopSettings settings, CancellationToken cancellationToken)
    {
        var interval = DurationParser.Parse(settings.Interval, "--interval");
        var count = settings.Count ?? (settings.Json ? 1 : 0);
        if (count < 0)
        {
            throw new PgOptimizerConfigurationException($"--count {count} is negative; give 0 (until Ctrl+C) or more.");
        }

        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var collector = services.GetRequiredService<ServerStatsCollector>();
        await collector.CollectAsync(force: true, cancellationToken).ConfigureAwait(false);
        for (var i = 0; count == 0 || i < count; i++)
        {
            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok;
            }

            var d = (await collector.CollectAsync(force: true, cancellationToken).ConfigureAwait(false))!;
            if (settings.Json)
            {
                Output.WriteJson(new
                {
                    d.From, d.To, d.Seconds, d.CommitsPerSecond, d.RollbacksPerSecond, d.CacheHitRatio, d.Deadlocks, d.TempBytesPerSecond,
                    connections = d.Current.Connections, replicas = d.Current.Replicas, topStatements = d.TopStatements,
                });
            }
            else
            {
                Render(d);
            }
        }

        return ExitCodes.Ok;
    }

    private static void Render(ServerInterval d)
    {
        var c = d.Current.Connections;
        AnsiConsole.MarkupLine(
            $"[bold]{d.To:HH:mm:ss}[/] last {d.Seconds:F0} s: {d.CommitsPerSecond:F1} commits/s, {d.RollbacksPerSecond:F1} rollbacks/s, " +
            $"cache hit {(d.CacheHitRatio is { } h ? h.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "n/a")}, deadlocks {d.Deadlocks}, " +
            $"connections {c.Total}/{c.MaxConnections} ({c.Active} active, {c.IdleInTransaction} idle in tx, {c.Blocked} blocked)" +
            string.Concat(d.Current.Replicas.Select(r => $", {Output.Esc(r.Name)} lag {r.ReplayLagSeconds?.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} s / {r.LagBytes} B")));
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("Time ms").RightAligned());
        table.AddColumn(new TableColumn("Calls").RightAligned());
        table.AddColumn(new TableColumn("Mean ms").RightAligned());
        table.AddColumn(new TableColumn("Rows").RightAligned());
        table.AddColumn("Statement");
        foreach (var s in d.TopStatements)
        {
            var text = string.Join(' ', s.Query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
            table.AddRow(Output.N(s.TotalMs, 1), Output.N(s.Calls), Output.N(s.MeanMs, 2), Output.N(s.Rows), Output.Esc(text.Length > 110 ? text[..109] + "…" : text));
        }

        AnsiConsole.Write(table);
    }
}
