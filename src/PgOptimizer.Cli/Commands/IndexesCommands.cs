using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Indexing;
using PgOptimizer.Samples.Pitches;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public class IndexesSettings : DatabaseSettings
{
    [CommandOption("--catalog <FILE>")]
    [Description("Index catalog JSON (required), or 'demo' for the demo pitch platform's 29-index catalog.")]
    public string? Catalog { get; init; }

    /// <summary>The catalog the user named; nothing is assumed, since applying the wrong one builds indexes nobody asked for.</summary>
    internal IndexCatalog LoadCatalog() => Catalog switch
    {
        null or "" => throw new PgOptimizerConfigurationException("Name the index catalog: --catalog FILE (JSON; 'pgopt indexes catalog' prints an example), or --catalog demo for the demo platform's catalog."),
        "demo" => PitchesIndexes.Catalog,
        var file => IndexCatalog.LoadFile(file),
    };
}

public sealed class IndexesApplySettings : IndexesSettings
{
    [CommandOption("--dry-run")]
    [Description("Print the exact SQL apply would run; change nothing.")]
    public bool DryRun { get; init; }
}

public sealed class IndexesCatalogSettings : CommandSettings
{
    [CommandOption("--catalog <FILE>")]
    [Description("Validate and print this catalog instead of the demo one.")]
    public string? Catalog { get; init; }
}

/// <summary>pgopt indexes plan: the catalog against the live database.</summary>
public sealed class IndexesPlanCommand : AsyncCommand<IndexesSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, IndexesSettings settings, CancellationToken cancellationToken)
    {
        var catalog = settings.LoadCatalog();
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var plan = await services.GetRequiredService<IndexManager>().PlanAsync(catalog, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(new { noOp = plan.IsNoOp, plan.Actions });
        }
        else
        {
            Render(plan);
        }

        return ExitCodes.Ok;
    }

    internal static void Render(IndexPlan plan)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Index plan[/]");
        table.AddColumn("Action");
        table.AddColumn("Index");
        table.AddColumn("Table");
        table.AddColumn("Why");
        foreach (var a in plan.Actions.OrderBy(a => a.Kind).ThenBy(a => a.Priority).ThenBy(a => a.Name, StringComparer.Ordinal))
        {
            var kind = a.Kind switch
            {
                IndexActionKind.Create => "[green]create[/]",
                IndexActionKind.Rebuild => "[yellow]rebuild[/]",
                IndexActionKind.ReplaceInvalid => "[red]replace invalid[/]",
                IndexActionKind.Unchanged => "[grey]unchanged[/]",
                IndexActionKind.Equivalent => "[blue]equivalent[/]",
                _ => "[grey]unmanaged[/]",
            };
            table.AddRow(kind, Output.Esc(a.Name), Output.Esc(a.Table), Output.Esc(a.Reason));
        }

        AnsiConsole.Write(table);
        var changes = plan.Changes.ToList();
        AnsiConsole.MarkupLine(changes.Count == 0
            ? "[green]Nothing to do: the database matches the catalog.[/]"
            : $"{changes.Count} change(s); 'pgopt indexes apply' builds them concurrently, in priority order.");
    }
}

/// <summary>pgopt indexes apply: build what the plan says, concurrently and safely.</summary>
public sealed class IndexesApplyCommand : AsyncCommand<IndexesApplySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, IndexesApplySettings settings, CancellationToken cancellationToken)
    {
        var catalog = settings.LoadCatalog();
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var manager = services.GetRequiredService<IndexManager>();
        var report = await RunAsync(manager, catalog, settings.DryRun, settings.Json, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(new
            {
                report.DryRun,
                succeeded = report.Succeeded,
                report.Elapsed,
                report.WaitedForLock,
                sql = report.Plan.Changes.SelectMany(a => a.Sql),
                report.Results,
                report.Analyzed,
                plan = report.Plan.Actions,
            });
        }
        else
        {
            Render(report);
        }

        return report.Succeeded ? ExitCodes.Ok : ExitCodes.Findings;
    }

    internal static async Task<IndexApplyReport> RunAsync(IndexManager manager, IndexCatalog catalog, bool dryRun, bool quiet, CancellationToken ct)
    {
        if (quiet || dryRun)
        {
            return await manager.ApplyAsync(catalog, dryRun, null, ct).ConfigureAwait(false);
        }

        IndexApplyReport? report = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                // Reports arrive on the builder's threads while the loop below may run: one lock for the
                // bars (System.Progress would post each report to the thread pool, out of order and concurrently).
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var gate = new object();
                var progress = new InlineProgress<IndexBuildProgress>(p =>
                {
                    lock (gate)
                    {
                        if (!tasks.TryGetValue(p.Index, out var task))
                        {
                            foreach (var other in tasks.Values)
                            {
                                other.Value = other.MaxValue;
                            }

                            task = tasks[p.Index] = ctx.AddTask(Output.Esc($"[{p.Number}/{p.Total}] {p.Index}"), maxValue: 1);
                        }

                        task.Value = Math.Min(1, p.Fraction);
                        task.Description = Output.Esc($"[{p.Number}/{p.Total}] {p.Index}: {p.Phase}");
                    }
                });
                report = await manager.ApplyAsync(catalog, false, progress, ct).ConfigureAwait(false);
                lock (gate)
                {
                    foreach (var task in tasks.Values)
                    {
                        task.Value = task.MaxValue;
                    }
                }
            }).ConfigureAwait(false);
        return report!;
    }

    internal static void Render(IndexApplyReport report)
    {
        if (report.DryRun)
        {
            var changes = report.Plan.Changes.ToList();
            AnsiConsole.MarkupLine(changes.Count == 0 ? "[green]Dry run: nothing to do.[/]" : $"[bold]Dry run[/]: apply would run, in this order ({changes.Count} index(es)):");
            foreach (var sql in changes.SelectMany(a => a.Sql))
            {
                Console.Out.WriteLine(sql + ";");
            }

            AnsiConsole.MarkupLine("Nothing was changed.");
            return;
        }

        if (report.Results.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]Nothing to do: the database matches the catalog.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Index apply[/]");
        table.AddColumn("Index");
        table.AddColumn("Table");
        table.AddColumn("Outcome");
        table.AddColumn(new TableColumn("Time").RightAligned());
        table.AddColumn(new TableColumn("Size").RightAligned());
        table.AddColumn("Detail");
        foreach (var r in report.Results)
        {
            var outcome = r.Outcome == IndexApplyOutcome.Failed ? "[red]failed[/]" : $"[green]{r.Outcome.ToString().ToLowerInvariant()}[/]";
            table.AddRow(Output.Esc(r.Name), Output.Esc(r.Table), outcome, $"{r.Elapsed.TotalSeconds:F1} s", Output.Bytes(r.SizeBytes),
                Output.Esc(r.Error ?? (r.LockRetries > 0 ? $"{r.LockRetries} lock retries" : string.Empty)));
        }

        AnsiConsole.Write(table);
        var failed = report.Results.Count(r => r.Outcome == IndexApplyOutcome.Failed);
        AnsiConsole.MarkupLine(failed == 0
            ? $"[green]{report.Results.Count} index(es) built in {report.Elapsed.TotalSeconds:F1} s.[/]"
            : $"[red]{failed} of {report.Results.Count} failed[/]; the others were built. Fix the cause and run apply again.");
        if (report.Analyzed.Count > 0)
        {
            AnsiConsole.MarkupLine(Output.Esc($"Analyzed {string.Join(", ", report.Analyzed)} (new expression indexes: the planner needs their statistics)."));
        }
    }
}

/// <summary>pgopt indexes catalog: print (and validate) a catalog as JSON, to start your own from.</summary>
public sealed class IndexesCatalogCommand : Command<IndexesCatalogSettings>
{
    public override int Execute(CommandContext context, IndexesCatalogSettings settings, CancellationToken cancellationToken)
    {
        var catalog = settings.Catalog is null or "demo" ? PitchesIndexes.Catalog : IndexCatalog.LoadFile(settings.Catalog);
        Console.Out.WriteLine(catalog.ToJson());
        return ExitCodes.Ok;
    }
}

public sealed class IndexesHealthSettings : DatabaseSettings
{
    [CommandOption("--fail-on <LEVEL>")]
    [Description("Exit 1 when health is at least this level: warning or critical. Default: critical.")]
    public string FailOn { get; init; } = "critical";
}

/// <summary>pgopt indexes health: index health with evidence and fixes.</summary>
public sealed class IndexesHealthCommand : AsyncCommand<IndexesHealthSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, IndexesHealthSettings settings, CancellationToken cancellationToken)
    {
        var failOn = settings.FailOn.ToLowerInvariant() switch
        {
            "warning" => HealthLevel.Warning,
            "critical" => HealthLevel.Critical,
            _ => throw new PgOptimizerConfigurationException($"--fail-on '{settings.FailOn}' is not warning or critical."),
        };
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var report = await services.GetRequiredService<IndexManager>().PerformIndexHealthCheckAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(report);
        }
        else
        {
            Render(report);
        }

        return report.Status >= failOn ? ExitCodes.Findings : ExitCodes.Ok;
    }

    internal static void Render(IndexHealthReport report)
    {
        var color = report.Status switch { HealthLevel.Healthy => "green", HealthLevel.Warning => "yellow", _ => "red" };
        AnsiConsole.MarkupLine($"Index health: [bold {color}]{report.Status.ToString().ToLowerInvariant()}[/] (statistics since {report.StatsSince:yyyy-MM-dd HH:mm} UTC)");
        if (report.Coverage is { } c)
        {
            AnsiConsole.MarkupLine($"Index coverage: [bold]{c.ByTime:P1}[/] of workload time, {c.ByCalls:P1} of calls ({c.Covered} of {c.Statements} statements without sequential scans of large tables{(c.Unexplainable.Count > 0 ? $"; {c.Unexplainable.Count} not explainable" : string.Empty)})");
        }
        else if (report.CoverageUnavailable is { } why)
        {
            AnsiConsole.MarkupLine($"Index coverage: unknown: {Output.Esc(why)}");
        }

        var notes = report.Findings.Count(f => f.Level == HealthLevel.Healthy);
        if (notes > 0)
        {
            AnsiConsole.MarkupLine($"[grey]{notes} informational finding(s) (e.g. unused indexes with too short a statistics window) are in --json.[/]");
        }

        var findings = report.Findings.Where(f => f.Level != HealthLevel.Healthy).ToList();
        if (findings.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]No findings.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Level");
        table.AddColumn("Finding");
        table.AddColumn("Table");
        table.AddColumn("Index");
        table.AddColumn("Detail");
        table.AddColumn("Fix");
        foreach (var f in findings.OrderByDescending(f => f.Level).ThenBy(f => f.Kind))
        {
            table.AddRow(f.Level == HealthLevel.Critical ? "[red]critical[/]" : "[yellow]warning[/]", f.Kind.ToString(), Output.Esc(f.Table), Output.Esc(f.Index), Output.Esc(f.Detail), Output.Esc(f.Fix));
        }

        AnsiConsole.Write(table);
    }
}

public sealed class IndexesAdviseSettings : DatabaseSettings
{
    [CommandOption("--apply")]
    [Description("Build the recommended indexes (through apply: validated, concurrent, safe).")]
    public bool Apply { get; init; }

    [CommandOption("--top <N>")]
    [Description("Statements to examine, top by total time. Default 50.")]
    public int? Top { get; init; }

    [CommandOption("--min-calls <N>")]
    [Description("Ignore statements with fewer calls. Default 2.")]
    public long? MinCalls { get; init; }

    [CommandOption("--min-total-ms <MS>")]
    [Description("Ignore statements with less total time. Default 0.")]
    public double? MinTotalMs { get; init; }

    [CommandOption("--save <FILE>")]
    [Description("Write the recommendations as an index catalog (JSON) to this file.")]
    public string? Save { get; init; }

    [CommandOption("--sample <SQL>")]
    [Description("The application's SQL for a statement, with its constants (repeat). pg_stat_statements hides constants, which partial and expression indexes need.")]
    public string[]? Samples { get; init; }
}

/// <summary>pgopt indexes advise: what indexes the workload needs, with what-if costs.</summary>
public sealed class IndexesAdviseCommand : AsyncCommand<IndexesAdviseSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, IndexesAdviseSettings settings, CancellationToken cancellationToken)
    {
        var resolved = CliRuntime.Resolve(settings);
        // Bad input fails before the analysis, which takes a while.
        if (settings.Save is { } saveTo)
        {
            Output.EnsureWritable(saveTo, "--save");
        }

        foreach (var sample in settings.Samples ?? [])
        {
            if (!PgOptimizer.Workload.SqlStatements.IsSingle(sample))
            {
                throw new PgOptimizerConfigurationException($"--sample takes one statement; \"{(sample.Length <= 60 ? sample : sample[..60] + "…")}\" holds several. Repeat --sample for each.");
            }
        }

        // The flags change this command's options before they are validated, never the shared defaults.
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose, configure: s => s.PostConfigure<IndexingOptions>(o =>
        {
            o.WorkloadTop = settings.Top ?? o.WorkloadTop;
            o.WorkloadMinCalls = settings.MinCalls ?? o.WorkloadMinCalls;
            o.WorkloadMinTotalMs = settings.MinTotalMs ?? o.WorkloadMinTotalMs;
        }));
        var manager = services.GetRequiredService<IndexManager>();
        // On the demo database, the demo workload's SQL (with its constants) sharpens the advice.
        var connections = services.GetRequiredService<PgOptimizer.Connections.PgConnectionManager>();
        var samples = (settings.Samples ?? []).ToList();
        if (await PitchesDemo.ReadKeySpaceAsync(connections.Primary.DataSource, cancellationToken).ConfigureAwait(false) is { } keys)
        {
            samples.AddRange(new PitchesWorkload(keys).Operations.Select(o => o.Sql));
        }

        var report = settings.Json
            ? await manager.AdviseAsync(samples, cancellationToken).ConfigureAwait(false)
            : await AnsiConsole.Status().StartAsync("Explaining the workload and costing candidate indexes with HypoPG...", _ => manager.AdviseAsync(samples, cancellationToken)).ConfigureAwait(false);
        if (settings.Save is { } file)
        {
            await File.WriteAllTextAsync(file, report.ToCatalog().ToJson(), cancellationToken).ConfigureAwait(false);
        }

        IndexApplyReport? applied = null;
        if (settings.Apply && report.Recommendations.Count > 0)
        {
            applied = await IndexesApplyCommand.RunAsync(manager, report.ToCatalog(), false, settings.Json, cancellationToken).ConfigureAwait(false);
        }

        if (settings.Json)
        {
            Output.WriteJson(new
            {
                recommendations = report.Recommendations.Select(r => new
                {
                    r.Name, r.Table, r.Columns, where = r.Where, r.Method, r.Ddl, r.EstimatedSizeBytes, r.Benefit, r.WriteCost,
                    queries = r.Queries.Select(q => new { q.QueryId, q.Query, q.Calls, q.CostBefore, q.CostAfter }),
                }),
                queries = report.Queries.Select(q => new { q.QueryId, q.Query, q.Calls, q.TotalMs, q.Verdict, q.Reason }),
                applied = applied?.Results,
            });
        }
        else
        {
            Render(report);
            if (applied is not null)
            {
                IndexesApplyCommand.Render(applied);
            }
        }

        return applied is { Succeeded: false } ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static void Render(AdvisorReport report)
    {
        if (report.Recommendations.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]No index to recommend for this workload.[/]");
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]Recommended indexes[/]");
            table.AddColumn("#");
            table.AddColumn("CREATE INDEX CONCURRENTLY");
            table.AddColumn(new TableColumn("Size").RightAligned());
            table.AddColumn(new TableColumn("Saves ms").RightAligned());
            table.AddColumn("Queries (cost before → after)");
            var i = 0;
            foreach (var r in report.Recommendations)
            {
                table.AddRow((++i).ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Esc(r.Ddl), Output.Bytes(r.EstimatedSizeBytes), Output.N(r.Benefit, 0),
                    Output.Esc(string.Join("\n", r.Queries.Select(q => $"{Truncate(q.Query, 70)}  {q.CostBefore:F0} → {q.CostAfter:F0}"))));
            }

            AnsiConsole.Write(table);
        }

        var verdicts = new Table().Border(TableBorder.Rounded).Title("[bold]Every query's verdict[/]");
        verdicts.AddColumn("Query");
        verdicts.AddColumn(new TableColumn("Calls").RightAligned());
        verdicts.AddColumn("Verdict");
        verdicts.AddColumn("Why");
        foreach (var q in report.Queries)
        {
            var v = q.Verdict switch
            {
                QueryVerdict.Helped => "[green]helped[/]",
                QueryVerdict.AlreadyIndexed => "[blue]already indexed[/]",
                QueryVerdict.NoUsefulIndex => "[yellow]no useful index[/]",
                _ => "[grey]unsupported[/]",
            };
            verdicts.AddRow(Output.Esc(Truncate(q.Query, 80)), Output.N(q.Calls), v, Output.Esc(q.Reason));
        }

        AnsiConsole.Write(verdicts);
        if (report.Recommendations.Count > 0)
        {
            AnsiConsole.MarkupLine("Build them with [bold]pgopt indexes advise --apply[/], or save them with --save FILE and apply that catalog.");
        }
    }

    private static string Truncate(string s, int n)
    {
        var flat = string.Join(' ', s.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= n ? flat : flat[..(n - 1)] + "…";
    }
}
