using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Monitoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class MetricsSettings : DatabaseSettings
{
    [CommandOption("-f|--format <FORMAT>")]
    [Description("prometheus (text exposition) or json. Default prometheus.")]
    public string Format { get; init; } = "prometheus";

    [CommandOption("-i|--interval <DURATION>")]
    [Description("Also measure rates over this interval (e.g. 5s): two snapshots, the interval's cache hit ratio.")]
    public string? Interval { get; init; }

    [CommandOption("--local")]
    [Description("Only this process's client-side figures, not those the application instances publish to Redis.")]
    public bool Local { get; init; }
}

/// <summary>pgopt metrics: one scrape of everything PgOptimizer measures.</summary>
public sealed class MetricsCommand : AsyncCommand<MetricsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, MetricsSettings settings, CancellationToken cancellationToken)
    {
        var json = settings.Json || settings.Format.Equals("json", StringComparison.OrdinalIgnoreCase);
        if (!json && !settings.Format.Equals("prometheus", StringComparison.OrdinalIgnoreCase))
        {
            throw new PgOptimizerConfigurationException($"--format '{settings.Format}' is not prometheus or json.");
        }

        var interval = settings.Interval is null ? (TimeSpan?)null : DurationParser.Parse(settings.Interval, "--interval");
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var collector = services.GetRequiredService<ServerStatsCollector>();
        var monitor = services.GetRequiredService<DatabasePerformanceMonitor>();
        await collector.CollectAsync(force: true, cancellationToken).ConfigureAwait(false);
        if (interval is { } wait)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            await collector.CollectAsync(force: true, cancellationToken).ConfigureAwait(false);
        }

        Console.Out.Write(await monitor.ExportMetricsAsync(json ? MetricsFormat.Json : MetricsFormat.Prometheus, allInstances: !settings.Local, cancellationToken).ConfigureAwait(false));
        if (!settings.Local)
        {
            await CliRuntime.WarnIfRedisDownAsync(services, cancellationToken).ConfigureAwait(false);
        }
        if (json)
        {
            Console.Out.WriteLine();
        }

        return ExitCodes.Ok;
    }
}

public sealed class HealthSettings : DatabaseSettings
{
    [CommandOption("-w|--watch")]
    [Description("Evaluate every --interval until Ctrl+C; alerts then honour their \"for\" durations and hysteresis.")]
    public bool Watch { get; init; }

    [CommandOption("-i|--interval <DURATION>")]
    [Description("Sampling window of a one-shot check, or the period of --watch. Default 5s.")]
    public string Interval { get; init; } = "5s";

    [CommandOption("--fail-on <LEVEL>")]
    [Description("Exit 1 when the overall health is at least warning or critical.")]
    public string? FailOn { get; init; }
}

/// <summary>
/// pgopt health: the DatabaseHealth answer — connections, query performance (client-side
/// figures the application instances publish to Redis), cache, alerts and recommendations.
/// </summary>
public sealed class HealthCommand : AsyncCommand<HealthSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, HealthSettings settings, CancellationToken cancellationToken)
    {
        var interval = DurationParser.Parse(settings.Interval, "--interval");
        HealthLevel? failOn = settings.FailOn?.ToLowerInvariant() switch
        {
            null => null,
            "warning" => HealthLevel.Warning,
            "critical" => HealthLevel.Critical,
            _ => throw new PgOptimizerConfigurationException($"--fail-on '{settings.FailOn}' is not warning or critical."),
        };

        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var monitor = services.GetRequiredService<DatabasePerformanceMonitor>();
        var collector = services.GetRequiredService<ServerStatsCollector>();

        // a first server snapshot, so that the evaluation has an interval to compute rates over;
        // the first evaluation's client window is everything the live instances measured so far
        await collector.CollectAsync(force: true, cancellationToken).ConfigureAwait(false);
        DatabaseHealth health;
        while (true)
        {
            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (settings.Watch)
            {
                return ExitCodes.Ok;
            }

            health = await monitor.EvaluateAsync(new HealthEvaluation { AllInstances = true, IgnoreForDurations = !settings.Watch }, cancellationToken).ConfigureAwait(false);
            await CliRuntime.WarnIfRedisDownAsync(services, cancellationToken).ConfigureAwait(false);
            if (settings.Json)
            {
                Output.WriteJson(health);
            }
            else
            {
                Render(health);
            }

            if (!settings.Watch)
            {
                break;
            }
        }

        return failOn is { } level && health.Overall >= level ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static string Color(HealthLevel level) => level switch
    {
        HealthLevel.Critical => "red",
        HealthLevel.Warning => "yellow",
        _ => "green",
    };

    private static void Render(DatabaseHealth h)
    {
        var m = h.Metrics;
        var q = m.QueryPerformance;
        AnsiConsole.MarkupLine($"[bold]{h.At:HH:mm:ss}[/] database health: [{Color(h.Overall)} bold]{h.Overall.ToString().ToLowerInvariant()}[/]");
        var t = new Table().Border(TableBorder.Rounded).AddColumn("Area").AddColumn("Figures");
        t.AddRow("Connections", $"{m.ConnectionHealth.ActiveConnections} busy, pool usage {m.ConnectionHealth.ConnectionUsage:0.#} % " +
                                 string.Concat(m.ConnectionHealth.Pools.Select(p => $"\n  {Output.Esc(p.Endpoint)}: {p.Busy}/{p.Max}, wait p95 {p.WaitP95Ms:0.###} ms, circuit {p.Circuit}")));
        t.AddRow("Queries", q.Calls == 0
            ? $"no client-side figures in the last {q.WindowSeconds:0} s ({q.Instances} instance(s) publishing)"
            : $"{q.Calls} calls in {q.WindowSeconds:0} s from {q.Instances} instance(s): avg {q.AvgResponseTime:0.###} ms, p95 {q.P95:0.###} ms, p99 {q.P99:0.###} ms, " +
              $"{q.SlowQueriesPerMinute:0.#} slow/min, errors {q.ErrorRate:0.##} %");
        var c = m.CachePerformance;
        t.AddRow("Cache", c.HitRate is null ? $"{c.Source}: no reads in the window" : $"{c.Source}: hit {c.HitRate:0.##} %, miss {c.MissRate:0.##} %");
        if (m.Server is { } s)
        {
            t.AddRow("Server", $"{s.Connections}/{s.MaxConnections} connections, longest transaction {s.LongestTransactionSeconds?.ToString("0.#", CultureInfo.InvariantCulture) ?? "-"} s, " +
                               $"{s.BlockedSessions} blocked, {s.DeadlocksInInterval} deadlocks, xid age {Output.N(s.WraparoundAge)}, size {Output.Bytes(s.DatabaseBytes)}" +
                               string.Concat(s.Replicas.Select(r => $"\n  replica {Output.Esc(r.Name)}: lag {r.ReplayLagSeconds?.ToString("0.###", CultureInfo.InvariantCulture) ?? "?"} s / {r.LagBytes} B ({Output.Esc(r.State)})")));
        }

        AnsiConsole.Write(t);
        if (h.Alerts.Count > 0)
        {
            var a = new Table().Border(TableBorder.Rounded).AddColumn("Alert").AddColumn("Level").AddColumn("State").AddColumn("Message");
            foreach (var alert in h.Alerts)
            {
                a.AddRow(Output.Esc(alert.Name), $"[{Color(alert.Severity)}]{alert.Severity.ToString().ToLowerInvariant()}[/]", alert.State.ToString().ToLowerInvariant(), Output.Esc(alert.Message));
            }

            AnsiConsole.Write(a);
        }

        foreach (var r in h.Recommendations)
        {
            AnsiConsole.MarkupLine($"[{Color(r.Severity)}]•[/] {Output.Esc(r.Message)}\n  [dim]→ {Output.Esc(r.Action)}[/]");
        }
    }
}

public sealed class SlowSettings : DatabaseSettings
{
    [CommandOption("-n|--limit <N>")]
    [Description("How many, newest first. Default 20.")]
    public int Limit { get; init; } = 20;
}

/// <summary>pgopt slow: recent slow queries of all application instances (from the shared Redis stream).</summary>
public sealed class SlowCommand : AsyncCommand<SlowSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SlowSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Limit is < 1 or > 10_000)
        {
            throw new PgOptimizerConfigurationException($"--limit {settings.Limit} must be between 1 and 10000.");
        }

        var resolved = CliRuntime.Resolve(settings);
        if (resolved.Redis is null)
        {
            throw new PgOptimizerConfigurationException("Slow queries of the application instances are shared through Redis: give --redis or set REDIS_URL.");
        }

        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var redis = services.GetRequiredService<PgOptimizer.Connections.RedisConnection>();
        if (await redis.PingAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            Console.Error.WriteLine($"Redis at {redis.Description} is not reachable; start it or check REDIS_URL.");
            return ExitCodes.Findings;
        }

        var monitor = services.GetRequiredService<DatabasePerformanceMonitor>();
        var slow = await monitor.GetSlowQueriesAsync(settings.Limit, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(slow);
            return ExitCodes.Ok;
        }

        if (slow.Count == 0)
        {
            AnsiConsole.MarkupLine("No slow queries recorded.");
            return ExitCodes.Ok;
        }

        var t = new Table().Border(TableBorder.Rounded)
            .AddColumn("Time").AddColumn(new TableColumn("ms").RightAligned()).AddColumn("Endpoint").AddColumn("Instance").AddColumn("Error").AddColumn("Statement");
        foreach (var q in slow)
        {
            t.AddRow(q.At.ToString("HH:mm:ss", CultureInfo.InvariantCulture), Output.N(q.DurationMs, 1), Output.Esc(q.Endpoint), Output.Esc(q.Instance),
                Output.Esc(q.Error ?? ""), Output.Esc(q.Sql.Length > 100 ? q.Sql[..100] + "…" : q.Sql));
        }

        AnsiConsole.Write(t);
        return ExitCodes.Ok;
    }
}
