using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;
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
        var connections = services.GetRequiredService<PgConnectionManager>();
        ServerInterval? measured = null;
        ServerSnapshot snapshot;
        if (interval is { } wait)
        {
            await collector.CollectAsync(force: true, cancellationToken).ConfigureAwait(false);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            measured = await collector.CollectAsync(force: true, cancellationToken).ConfigureAwait(false);
            snapshot = measured!.Current;
        }
        else
        {
            snapshot = await collector.CaptureAsync(cancellationToken).ConfigureAwait(false);
        }

        Console.Out.Write(json
            ? MetricsExporter.ToJson(connections.Endpoints, snapshot, measured) + Environment.NewLine
            : MetricsExporter.ToPrometheus(connections.Endpoints, snapshot, measured));
        return ExitCodes.Ok;
    }
}
