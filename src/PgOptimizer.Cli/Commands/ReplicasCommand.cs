using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Monitoring;
using PgOptimizer.Routing;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class ReplicasSettings : DatabaseSettings
{
    [CommandOption("-w|--watch")]
    [Description("Refresh every --interval until Ctrl+C, with the share of commands of the last interval.")]
    public bool Watch { get; init; }

    [CommandOption("-i|--interval <DURATION>")]
    [Description("Refresh interval with --watch. Default 2s.")]
    public string Interval { get; init; } = "2s";
}

/// <summary>
/// pgopt replicas: each endpoint's state in routing (in rotation, lagging, unreachable, circuit open),
/// its lag in seconds and bytes from the lag probe, and the commands the application instances sent
/// it (all live instances, through Redis) with their share and latency.
/// </summary>
public sealed class ReplicasCommand : AsyncCommand<ReplicasSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ReplicasSettings settings, CancellationToken cancellationToken)
    {
        var interval = DurationParser.Parse(settings.Interval, "--interval");
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var manager = services.GetRequiredService<PgConnectionManager>();
        var router = services.GetRequiredService<ReplicaRouter>();
        var monitor = services.GetRequiredService<DatabasePerformanceMonitor>();
        await CliRuntime.WarnIfRedisDownAsync(services, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<EndpointSnapshot>? previous = null;
        while (true)
        {
            await manager.RefreshLagAsync(cancellationToken).ConfigureAwait(false);
            var routing = router.GetReplicaStatistics(manager);
            var commands = (await monitor.AggregateAsync(cancellationToken).ConfigureAwait(false)).Endpoints;
            var rows = Rows(routing, commands, previous);
            if (settings.Json)
            {
                Output.WriteJson(new { at = DateTimeOffset.UtcNow, endpoints = rows });
            }
            else
            {
                Render(rows, previous is not null);
            }

            if (!settings.Watch)
            {
                return rows.Any(r => r.Role == EndpointRole.Replica) && rows.Where(r => r.Role == EndpointRole.Replica).All(r => r.State != ReplicaState.InRotation)
                    ? ExitCodes.Findings // every replica out: reads all on the primary
                    : ExitCodes.Ok;
            }

            previous = commands;
            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok;
            }
        }
    }

    internal sealed record Row(string Name, EndpointRole Role, ReplicaState State, double? LagSeconds, long? LagBytes, string? LagError,
        int Weight, string? Region, long Commands, double? Share, double? P99Ms, long Errors);

    private static List<Row> Rows(IReadOnlyList<ReplicaStatistics> routing, IReadOnlyList<EndpointSnapshot> commands, IReadOnlyList<EndpointSnapshot>? previous)
    {
        long Calls(IReadOnlyList<EndpointSnapshot>? list, string name) => list?.Where(e => e.Name == name).Sum(e => e.Calls) ?? 0;
        var names = routing.Select(r => r.Name).ToList();
        var window = names.ToDictionary(n => n, n => Math.Max(0, Calls(commands, n) - Calls(previous, n)));
        var total = window.Values.Sum();
        return routing.Select(r =>
        {
            var own = commands.Where(e => e.Name == r.Name).ToList();
            var histogram = LatencyHistogram.CreateEmpty();
            own.ForEach(e => histogram.Add(LatencyHistogram.Decode(e.Histogram)));
            return new Row(r.Name, r.Role, r.State, r.LagSeconds, r.LagBytes, r.LagError, r.Weight, r.Region,
                window[r.Name], total == 0 ? null : Math.Round((double)window[r.Name] / total, 4),
                histogram.TotalCount == 0 ? null : LatencyHistogram.Summarize(histogram).P99Ms, own.Sum(e => e.Errors));
        }).ToList();
    }

    private static void Render(List<Row> rows, bool windowed)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]Endpoints[/] at {DateTime.Now:HH:mm:ss}");
        foreach (var h in new[] { "Endpoint", "Role", "State", "Lag s", "Lag bytes", "Weight", "Region", windowed ? "Commands (interval)" : "Commands", "Share", "p99 ms", "Errors" })
        {
            table.AddColumn(h is "Endpoint" or "Role" or "State" or "Region" ? new TableColumn(h) : new TableColumn(h).RightAligned());
        }

        foreach (var r in rows)
        {
            var state = r.State switch
            {
                ReplicaState.InRotation => "[green]in rotation[/]",
                ReplicaState.Lagging => "[yellow]lagging[/]",
                ReplicaState.Probing => "[yellow]probing[/]",
                _ => $"[red]{Output.Esc(r.State.ToString().ToLowerInvariant())}[/]",
            };
            table.AddRow(Output.Esc(r.Name), r.Role.ToString().ToLowerInvariant(), state,
                r.LagSeconds?.ToString("0.###", CultureInfo.InvariantCulture) ?? (r.Role == EndpointRole.Primary ? "" : Output.Esc(r.LagError ?? "?")),
                r.LagBytes is { } b ? Output.N(b) : "", r.Weight.ToString(CultureInfo.InvariantCulture), Output.Esc(r.Region ?? ""),
                Output.N(r.Commands), r.Share?.ToString("P1", CultureInfo.InvariantCulture) ?? "", r.P99Ms is { } p ? Output.N(p, 2) : "", Output.N(r.Errors));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]Commands are those the application instances published to Redis (all live instances); lag is measured now by this command's probe.[/]");
    }
}
