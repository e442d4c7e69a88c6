using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Workload;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class WorkloadRunSettings : DatabaseSettings
{
    [CommandOption("-d|--duration <DURATION>")]
    [Description("How long to run: 30s, 5m, ... Default 30s.")]
    public string Duration { get; init; } = "30s";

    [CommandOption("--concurrency <N>")]
    [Description("Concurrent workers. Default 8.")]
    public int Concurrency { get; init; } = 8;

    [CommandOption("--mix <MIX>")]
    [Description("Operation weights: name=weight,... or reads=90,writes=10. Default: the workload's own mix.")]
    public string? Mix { get; init; }

    [CommandOption("--seed <SEED>")]
    [Description("Seed of the parameter generators. Default 1.")]
    public int Seed { get; init; } = 1;
}

/// <summary>pgopt workload run: replay the demo workload in a closed loop.</summary>
public sealed class WorkloadRunCommand : AsyncCommand<WorkloadRunSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, WorkloadRunSettings settings, CancellationToken cancellationToken)
    {
        var duration = DurationParser.Parse(settings.Duration, "--duration");
        var options = new WorkloadOptions { Duration = duration, Concurrency = settings.Concurrency, Seed = settings.Seed };
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose, o => o.MaxPoolSize = Math.Max(o.MaxPoolSize, settings.Concurrency));
        var report = await RunMonitoredAsync(services, options, settings.Mix, settings.Json, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(new { report.Workload, report.Executor, report.Concurrency, report.Elapsed, report.Calls, report.Errors, report.Throughput, report.RowsWritten, report.Latency, report.Operations });
        }
        else
        {
            Render(report);
        }

        return report.Errors == 0 ? ExitCodes.Ok : ExitCodes.Findings;
    }

    /// <summary>
    /// Runs the workload while monitoring runs as in an application: the client-side figures and
    /// slow queries are published to Redis (when configured) every interval and at the end, so
    /// `pgopt health` and `pgopt slow` in another terminal see this run.
    /// </summary>
    internal static async Task<WorkloadReport> RunMonitoredAsync(IServiceProvider services, WorkloadOptions options, string? mixText, bool quiet, CancellationToken ct)
    {
        await using var monitoring = MonitoringScope.Start(services);
        return await RunAsync(services.GetRequiredService<PgConnectionManager>(), options, mixText, quiet, ct).ConfigureAwait(false);
    }

    internal static async Task<WorkloadReport> RunAsync(PgConnectionManager manager, WorkloadOptions options, string? mixText, bool quiet, CancellationToken ct)
    {
        var workload = await PitchesWorkload.LoadAsync(manager.Primary.DataSource, manager.Primary.Description, ct).ConfigureAwait(false);
        var mix = WorkloadMix.Parse(workload, mixText);
        var runner = new WorkloadRunner();
        var executor = new ConnectionManagerExecutor(manager);
        if (quiet)
        {
            return await runner.RunAsync(workload, mix, executor, options, null, ct).ConfigureAwait(false);
        }

        WorkloadReport? report = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("Replaying workload", maxValue: options.Duration.TotalSeconds);
                var progress = new InlineProgress<WorkloadProgress>(p =>
                {
                    task.Value = Math.Min(p.Elapsed.TotalSeconds, task.MaxValue);
                    var rate = p.Elapsed.TotalSeconds > 0 ? p.Operations / p.Elapsed.TotalSeconds : 0;
                    task.Description = $"Replaying workload: {Output.N(p.Operations)} ops, {Output.N(rate)}/s, {p.Errors} errors";
                });
                report = await runner.RunAsync(workload, mix, executor, options, progress, ct).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return report!;
    }

    internal static void Render(WorkloadReport report)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]{Output.Esc(report.Workload)} workload[/] via {Output.Esc(report.Executor)}, {report.Concurrency} workers, {report.Elapsed.TotalSeconds:F1} s");
        table.AddColumn("Operation");
        table.AddColumn("Kind");
        foreach (var h in new[] { "Calls", "Errors", "Mean ms", "p50 ms", "p95 ms", "p99 ms", "Max ms" })
        {
            table.AddColumn(new TableColumn(h).RightAligned());
        }

        foreach (var o in report.Operations.OrderByDescending(o => o.Calls))
        {
            table.AddRow(o.Name, o.Intent.ToString().ToLowerInvariant(), Output.N(o.Calls), o.Errors == 0 ? "0" : $"[red]{o.Errors}[/]",
                Output.N(o.Latency.MeanMs, 2), Output.N(o.Latency.P50Ms, 2), Output.N(o.Latency.P95Ms, 2), Output.N(o.Latency.P99Ms, 2), Output.N(o.Latency.MaxMs, 1));
        }

        table.AddRow("[bold]all[/]", string.Empty, $"[bold]{Output.N(report.Calls)}[/]", report.Errors.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Output.N(report.Latency.MeanMs, 2), Output.N(report.Latency.P50Ms, 2), Output.N(report.Latency.P95Ms, 2), Output.N(report.Latency.P99Ms, 2), Output.N(report.Latency.MaxMs, 1));
        AnsiConsole.Write(table);
        foreach (var o in report.Operations.Where(o => o.FirstError is not null))
        {
            AnsiConsole.MarkupLine($"[red]{Output.Esc(o.Name)}[/] first failed with {Output.Esc(o.FirstError!)}");
        }

        AnsiConsole.MarkupLine($"Throughput [bold]{Output.N(report.Throughput)} ops/s[/], rows written {Output.N(report.RowsWritten)}, errors {report.Errors}.");
    }
}

/// <summary>pgopt workload list: the demo workload's operations.</summary>
public sealed class WorkloadListCommand : Command<WorkloadListSettings>
{
    public override int Execute(CommandContext context, WorkloadListSettings settings, CancellationToken cancellationToken)
    {
        var workload = new PitchesWorkload(new DemoKeySpace(42, 1, SeedOptions.DefaultAnchor, 1000, 100_000, 1_000_000));
        var mix = WorkloadMix.Default(workload);
        if (settings.Json)
        {
            Output.WriteJson(mix.Shares.Select(s => new { s.Operation.Name, intent = s.Operation.Intent, share = Math.Round(s.Share, 4), s.Operation.Idempotent, s.Operation.Description, s.Operation.Sql }));
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("[bold]pitches workload[/]");
        table.AddColumn("Operation");
        table.AddColumn("Kind");
        table.AddColumn(new TableColumn("Share").RightAligned());
        table.AddColumn("What");
        table.AddColumn("SQL");
        foreach (var (op, share) in mix.Shares)
        {
            table.AddRow(op.Name, op.Intent.ToString().ToLowerInvariant(), $"{share:P0}", Output.Esc(op.Description), Output.Esc(op.Sql));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Reads {mix.ReadShare:P0}, writes {1 - mix.ReadShare:P0}.");
        return ExitCodes.Ok;
    }
}

public sealed class WorkloadListSettings : CommandSettings
{
    [CommandOption("--json")]
    [Description("Machine-readable JSON.")]
    public bool Json { get; init; }
}
