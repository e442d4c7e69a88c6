using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Cost;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

/// <summary>Options of the cost commands.</summary>
public class CostSettings : DatabaseSettings
{
    [CommandOption("-p|--project <ID>")]
    [Description("The Neon project. Default: $NEON_PROJECT_ID. Without one (and with --connection), the report estimates what the database's workload would cost on Neon.")]
    public string? Project { get; init; }

    [CommandOption("--neon-api-url <URL>")]
    [Description("Neon's API. Default https://console.neon.tech/api/v2 (a local double: see the README). The key comes from $NEON_API_KEY.")]
    public string? NeonApiUrl { get; init; }

    [CommandOption("--plan <PLAN>")]
    [Description("Price with this plan (launch or scale) instead of the consumption history's.")]
    public string? Plan { get; init; }

    [CommandOption("--budget <DOLLARS>")]
    [Description("The monthly budget in dollars. Default: $NEON_MONTHLY_BUDGET.")]
    public string? Budget { get; init; }

    [CommandOption("--as-of <TIME>")]
    [Description("Analyse as of this UTC time (e.g. 2026-11-20T12:00:00Z) instead of now, to reproduce an earlier report.")]
    public string? AsOf { get; init; }

    [CommandOption("--prices <FILE>")]
    [Description("A prices file ({\"plans\": [...]}, the built-in one's shape) instead of the built-in 2026 prices.")]
    public string? Prices { get; init; }
}

public sealed class CostReportSettings : CostSettings
{
    [CommandOption("--markdown <FILE>")]
    [Description("Also write the report as Markdown to this file.")]
    public string? Markdown { get; init; }
}

public sealed class CostQuickWinsSettings : CostSettings
{
    [CommandOption("--apply")]
    [Description("Make the quick wins (only safe, reversible changes). Without it nothing changes.")]
    public bool Apply { get; init; }

    [CommandOption("--record <FILE>")]
    [Description("With --apply: write each change and how to undo it to this JSON file. Default pgopt-quick-wins-<project>-<time>.json.")]
    public string? Record { get; init; }
}

/// <summary>Builds the cost optimizer from the flags, the environment and appsettings.</summary>
internal static class CostRuntime
{
    public static ServiceProvider Build(CostSettings settings, IReadOnlyDictionary<string, string?>? environment = null, bool withDatabase = true)
    {
        var resolved = CliRuntime.Resolve(settings, environment);
        string? Env(string name) => environment is not null ? environment.GetValueOrDefault(name) : Environment.GetEnvironmentVariable(name);
        decimal? budget = settings.Budget is null ? null : CostServiceCollectionExtensions.ParseBudget(settings.Budget, "--budget");
        NeonPriceTable? prices = null;
        if (settings.Prices is { } file)
        {
            if (!File.Exists(file))
            {
                throw new PgOptimizerConfigurationException($"--prices '{file}' does not exist; give the path of a prices file (the built-in one is src/PgOptimizer/Cost/neon-prices.json).");
            }

            using var stream = File.OpenRead(file);
            prices = NeonPriceTable.Load(stream, $"--prices '{file}'");
        }

        DateTimeOffset? asOf = null;
        if (settings.AsOf is { } at)
        {
            asOf = DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
                ? parsed
                : throw new PgOptimizerConfigurationException($"--as-of '{at}' is not a time; write e.g. 2026-11-20T12:00:00Z.");
        }

        if (settings.NeonApiUrl is { } url)
        {
            NeonApiClient.BaseUri(url);
        }

        void Configure(IServiceCollection services) => services.PostConfigure<CostOptions>(o =>
        {
            CostServiceCollectionExtensions.FromEnvironment(o, name => Env(name));
            o.ProjectId = settings.Project ?? o.ProjectId;
            o.NeonApiUrl = settings.NeonApiUrl ?? o.NeonApiUrl;
            o.Plan = settings.Plan ?? o.Plan;
            o.MonthlyBudget = budget ?? o.MonthlyBudget;
            o.AsOf = asOf ?? o.AsOf;
            if (prices is not null)
            {
                o.Prices = prices.Plans.ToList();
            }
        });

        ServiceProvider provider;
        if (withDatabase && !string.IsNullOrWhiteSpace(resolved.Connection))
        {
            provider = CliRuntime.BuildServices(resolved, settings.Verbose, configure: Configure);
        }
        else
        {
            var services = new ServiceCollection();
            services.AddLogging(b =>
            {
                b.AddSimpleConsole(o => o.SingleLine = true);
                b.AddFilter((_, level) => level >= (settings.Verbose ? LogLevel.Information : LogLevel.Error));
                b.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            });
            services.AddPgCost(resolved.Configuration);
            Configure(services);
            provider = services.BuildServiceProvider();
        }

        try
        {
            var options = provider.GetRequiredService<IOptions<CostOptions>>().Value; // bad values fail here, before any call
            if (options.ProjectId is { } project)
            {
                NeonApiClient.CheckId(project, "project");
            }

            if (options.Plan is { } plan)
            {
                options.PriceTable().For(plan, DateOnly.FromDateTime(DateTime.UtcNow));
            }
            else
            {
                options.PriceTable();
            }
        }
        catch
        {
            provider.Dispose();
            throw;
        }

        return provider;
    }

    public static string Money(decimal value) => value.ToString("$#,##0.00", CultureInfo.InvariantCulture);
}

/// <summary>pgopt cost report: the month's cost, the budget, and what to do about both.</summary>
public sealed class CostReportCommand : AsyncCommand<CostReportSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CostReportSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Markdown is { } md)
        {
            Output.EnsureWritable(md, "--markdown");
        }

        await using var services = CostRuntime.Build(settings);
        var optimizer = services.GetRequiredService<NeonCostOptimizer>();
        var report = settings.Json
            ? await optimizer.GenerateReportAsync(cancellationToken).ConfigureAwait(false)
            : await AnsiConsole.Status().StartAsync("Reading the project's usage, branches and endpoints…", _ => optimizer.GenerateReportAsync(cancellationToken)).ConfigureAwait(false);
        if (settings.Markdown is { } file)
        {
            await File.WriteAllTextAsync(file, CostMarkdown.Render(report), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Json)
        {
            Output.WriteJson(report);
        }
        else
        {
            CostRender.Report(report);
            if (settings.Markdown is { } written)
            {
                AnsiConsole.MarkupLine($"Written to [bold]{Output.Esc(written)}[/].");
            }
        }

        return ExitCodes.Ok;
    }
}

/// <summary>pgopt cost budget: month to date and the forecast against the budget.</summary>
public sealed class CostBudgetCommand : AsyncCommand<CostSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CostSettings settings, CancellationToken cancellationToken)
    {
        await using var services = CostRuntime.Build(settings);
        var budget = await services.GetRequiredService<NeonCostOptimizer>().GetBudgetAsync(null, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(budget);
        }
        else
        {
            CostRender.Budget(budget);
        }

        return budget.Status == HealthLevel.Healthy ? ExitCodes.Ok : ExitCodes.Findings;
    }
}

/// <summary>pgopt cost quick-wins: the safe, reversible savings; a dry run unless --apply.</summary>
public sealed class CostQuickWinsCommand : AsyncCommand<CostQuickWinsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CostQuickWinsSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Record is { } r)
        {
            Output.EnsureWritable(r, "--record");
        }

        await using var services = CostRuntime.Build(settings);
        var optimizer = services.GetRequiredService<NeonCostOptimizer>();
        var result = await optimizer.ImplementQuickWinsAsync(null, dryRun: !settings.Apply, cancellationToken).ConfigureAwait(false);
        string? record = null;
        if (settings.Apply && result.Results.Count > 0)
        {
            record = settings.Record ?? $"pgopt-quick-wins-{result.Project}-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}.json";
            var entries = result.Results.Select(x => new { x.Action.Id, x.Action.Title, call = x.Action.Call?.ToString(), undo = x.Action.Undo, x.Action.MonthlySavings, x.Applied, x.Error, x.At });
            await File.WriteAllTextAsync(record, JsonSerializer.Serialize(new { project = result.Project, applied = entries }, Output.Json), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Json)
        {
            Output.WriteJson(new { result.Project, result.DryRun, result.MonthlyCostBefore, result.MonthlyCostAfter, result.MonthlySavings, record, quickWins = result.Results });
        }
        else
        {
            CostRender.QuickWins(result, record);
        }

        return result.Results.Any(x => x.Error is not null) ? ExitCodes.Findings : ExitCodes.Ok;
    }
}

/// <summary>Tables for people.</summary>
internal static class CostRender
{
    public static void Report(CostReport r)
    {
        var s = r.Summary;
        AnsiConsole.Write(new Rule($"[bold]Neon cost report[/]: {Output.Esc(r.ProjectName is null ? r.Project : $"{r.ProjectName} ({r.Project})")}, {Output.Esc(r.Plan)} plan").LeftJustified());
        var head = new Grid().AddColumn().AddColumn();
        head.AddRow("Monthly cost at the recent rate", $"[bold]{CostRuntime.Money(s.CurrentMonthlyCost)}[/]{(r.Estimate ? " (estimate)" : string.Empty)}");
        head.AddRow("Savings found", $"[green]{CostRuntime.Money(s.TotalSavingsOpportunity)}[/] a month → {CostRuntime.Money(s.OptimizedMonthlyCost)}");
        head.AddRow("Of which quick wins", $"{CostRuntime.Money(s.QuickWinSavings)} ([italic]pgopt cost quick-wins --apply[/])");
        head.AddRow("High-impact actions", s.HighImpactActions.ToString(CultureInfo.InvariantCulture));
        head.AddRow("Implementation time", $"about {s.EstimatedImplementationTime.TotalMinutes:F0} min");
        head.AddRow("Usage from", Output.Esc(r.UsageSource));
        AnsiConsole.Write(head);

        var m = r.MonthlyCost;
        var cost = new Table().Border(TableBorder.Rounded).Title("Monthly cost by what is billed");
        cost.AddColumns("Compute", "Storage", "Restore history", "Egress", "Extra branches", "Total");
        cost.AddRow(CostRuntime.Money(m.Compute), CostRuntime.Money(m.Storage), CostRuntime.Money(m.InstantRestore), CostRuntime.Money(m.Egress), CostRuntime.Money(m.ExtraBranches), $"[bold]{CostRuntime.Money(m.Total)}[/]");
        AnsiConsole.Write(cost);

        if (r.ComputeUsage.Count > 0)
        {
            var use = new Table().Border(TableBorder.Rounded).Title("Computes in the period so far: CPU used against CU-hours billed");
            use.AddColumns("Endpoint", "Branch", "State", "Min-max CU", "Suspends after", "Awake h", "CPU h", "Billed CU-h (at least)", "Used", "$ / month");
            foreach (var u in r.ComputeUsage)
            {
                use.AddRow(Output.Esc(u.Endpoint), Output.Esc(u.Branch), u.State, $"{u.MinCu}-{u.MaxCu}", u.SuspendTimeoutSeconds switch { < 0 => "[yellow]never[/]", 0 => "300 s", var x => $"{x} s" },
                    u.AwakeHours.ToString("N1", CultureInfo.InvariantCulture), u.CpuHours.ToString("N2", CultureInfo.InvariantCulture), u.BilledCuHours.ToString("N1", CultureInfo.InvariantCulture),
                    u.Utilization.ToString("P0", CultureInfo.InvariantCulture), CostRuntime.Money(u.MonthlyDollars));
            }

            AnsiConsole.Write(use);
        }

        if (r.BudgetAnalysis is { } b)
        {
            Budget(b);
        }

        if (r.ActionPlan.Count > 0)
        {
            var plan = new Table().Border(TableBorder.Rounded).Title("Action plan (most dollars per hour of work first)");
            plan.AddColumns("#", "Action", "Saves / month", "Effort", "Quick win", "How");
            var i = 0;
            foreach (var a in r.ActionPlan)
            {
                plan.AddRow((++i).ToString(CultureInfo.InvariantCulture), $"{Output.Esc(a.Title)}\n[grey]{Output.Esc(a.Detail)}[/]\n[grey]= {Output.Esc(a.Calculation)}[/]",
                    $"[green]{CostRuntime.Money(a.MonthlySavings)}[/]", $"{a.EffortMinutes} min", a.QuickWin ? "[green]yes[/]" : "no",
                    Output.Esc(a.Call?.ToString() ?? a.Sql ?? string.Empty));
            }

            AnsiConsole.Write(plan);
        }
        else
        {
            AnsiConsole.MarkupLine("[green]No savings found.[/]");
        }

        if (r.QueryOptimizations.Count > 0)
        {
            var q = new Table().Border(TableBorder.Rounded).Title("What the statements cost (share of execution time × the month's compute)");
            q.AddColumns("Share", "$ / month", "Calls", "Total ms", "Advisor", "Statement");
            foreach (var x in r.QueryOptimizations)
            {
                q.AddRow($"{x.Share:P1}", CostRuntime.Money(x.MonthlyDollars), x.Calls.ToString("N0", CultureInfo.InvariantCulture), x.TotalMs.ToString("N0", CultureInfo.InvariantCulture),
                    Output.Esc(x.Verdict ?? string.Empty), Output.Esc(x.Query.Length > 90 ? x.Query[..90] + "…" : x.Query));
            }

            AnsiConsole.Write(q);
        }

        foreach (var n in r.Notes)
        {
            AnsiConsole.MarkupLine($"[blue]note[/]: {Output.Esc(n)}");
        }
    }

    public static void Budget(BudgetAnalysis b)
    {
        var color = b.Status switch { HealthLevel.Critical => "red", HealthLevel.Warning => "yellow", _ => "green" };
        var t = new Table().Border(TableBorder.Rounded).Title($"Budget, period {b.PeriodStart:yyyy-MM-dd} to {b.PeriodEnd:yyyy-MM-dd} (data to {b.AsOf:yyyy-MM-dd HH:mm} UTC)");
        t.AddColumns("Month to date", "Forecast", "Range", "Budget", "Share", "Status");
        t.AddRow(CostRuntime.Money(b.MonthToDate), $"[bold]{CostRuntime.Money(b.Forecast)}[/]", $"{CostRuntime.Money(b.ForecastLow)}-{CostRuntime.Money(b.ForecastHigh)}",
            b.Budget is { } x ? CostRuntime.Money(x) : "none", b.ShareOfBudget is { } s ? s.ToString("P0", CultureInfo.InvariantCulture) : "-", $"[{color}]{b.Status.ToString().ToLowerInvariant()}[/]");
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine(Output.Esc(b.Message));
    }

    public static void QuickWins(QuickWinsReport r, string? record)
    {
        var t = new Table().Border(TableBorder.Rounded).Title(r.DryRun ? "Quick wins (dry run: nothing changed; --apply makes them)" : "Quick wins applied");
        t.AddColumns("Action", "Saves / month", "Call", "Undo", "Result");
        foreach (var x in r.Results)
        {
            t.AddRow(Output.Esc(x.Action.Title), CostRuntime.Money(x.Action.MonthlySavings), Output.Esc(x.Action.Call?.ToString()), Output.Esc(x.Action.Undo),
                x.Error is not null ? $"[red]{Output.Esc(x.Error)}[/]" : x.Applied ? "[green]applied[/]" : "dry run");
        }

        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"Monthly cost {CostRuntime.Money(r.MonthlyCostBefore)} → [bold]{CostRuntime.Money(r.MonthlyCostAfter)}[/] ({CostRuntime.Money(r.MonthlySavings)} a month{(r.DryRun ? " once applied" : string.Empty)}).");
        if (record is not null)
        {
            AnsiConsole.MarkupLine($"Each change and its undo: [bold]{Output.Esc(record)}[/].");
        }
    }
}

/// <summary>The report as Markdown.</summary>
internal static class CostMarkdown
{
    public static string Render(CostReport r)
    {
        var b = new StringBuilder();
        var s = r.Summary;
        b.AppendLine(CultureInfo.InvariantCulture, $"# Neon cost report: {r.ProjectName ?? r.Project} ({r.Project}), {r.Plan} plan");
        b.AppendLine();
        b.AppendLine(CultureInfo.InvariantCulture, $"- Monthly cost at the recent rate: **{CostRuntime.Money(s.CurrentMonthlyCost)}**{(r.Estimate ? " (estimate)" : string.Empty)}");
        b.AppendLine(CultureInfo.InvariantCulture, $"- Savings found: **{CostRuntime.Money(s.TotalSavingsOpportunity)}** a month → {CostRuntime.Money(s.OptimizedMonthlyCost)}; quick wins {CostRuntime.Money(s.QuickWinSavings)}");
        b.AppendLine(CultureInfo.InvariantCulture, $"- High-impact actions: {s.HighImpactActions}; implementation time about {s.EstimatedImplementationTime.TotalMinutes:F0} min");
        b.AppendLine(CultureInfo.InvariantCulture, $"- Usage from: {r.UsageSource}");
        b.AppendLine();
        var m = r.MonthlyCost;
        b.AppendLine("| Compute | Storage | Restore history | Egress | Extra branches | Total |");
        b.AppendLine("|---:|---:|---:|---:|---:|---:|");
        b.AppendLine(CultureInfo.InvariantCulture, $"| {CostRuntime.Money(m.Compute)} | {CostRuntime.Money(m.Storage)} | {CostRuntime.Money(m.InstantRestore)} | {CostRuntime.Money(m.Egress)} | {CostRuntime.Money(m.ExtraBranches)} | {CostRuntime.Money(m.Total)} |");
        if (r.BudgetAnalysis is { } budget)
        {
            b.AppendLine();
            b.AppendLine(CultureInfo.InvariantCulture, $"**Budget**: {budget.Message} Month to date {CostRuntime.Money(budget.MonthToDate)}; forecast {CostRuntime.Money(budget.Forecast)} ({CostRuntime.Money(budget.ForecastLow)}-{CostRuntime.Money(budget.ForecastHigh)}).");
        }

        b.AppendLine();
        b.AppendLine("## Action plan");
        b.AppendLine();
        b.AppendLine("| # | Action | Saves / month | Effort | Quick win | How | Arithmetic |");
        b.AppendLine("|---:|---|---:|---:|---|---|---|");
        var i = 0;
        foreach (var a in r.ActionPlan)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"| {++i} | {Cell(a.Title)} | {CostRuntime.Money(a.MonthlySavings)} | {a.EffortMinutes} min | {(a.QuickWin ? "yes" : "no")} | `{Cell(a.Call?.ToString() ?? a.Sql ?? string.Empty)}` | {Cell(a.Calculation)} |");
        }

        if (r.QueryOptimizations.Count > 0)
        {
            b.AppendLine();
            b.AppendLine("## What the statements cost");
            b.AppendLine();
            b.AppendLine("| Share | $ / month | Calls | Advisor | Statement |");
            b.AppendLine("|---:|---:|---:|---|---|");
            foreach (var q in r.QueryOptimizations)
            {
                b.AppendLine(CultureInfo.InvariantCulture, $"| {q.Share:P1} | {CostRuntime.Money(q.MonthlyDollars)} | {q.Calls:N0} | {q.Verdict} | `{Cell(q.Query.Length > 120 ? q.Query[..120] + "…" : q.Query)}` |");
            }
        }

        if (r.Notes.Count > 0)
        {
            b.AppendLine();
            b.AppendLine("## Notes");
            b.AppendLine();
            foreach (var n in r.Notes)
            {
                b.AppendLine(CultureInfo.InvariantCulture, $"- {n}");
            }
        }

        return b.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
