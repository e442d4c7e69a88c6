using System.ComponentModel;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgOptimizer.AspNetCore.Dashboard;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Monitoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

public sealed class DashboardSettings : DatabaseSettings
{
    [CommandOption("--port <PORT>")]
    [Description("Port to listen on. Default 5080.")]
    public int Port { get; init; } = 5080;

    [CommandOption("--bind <ADDRESS>")]
    [Description("Address to listen on. Default 127.0.0.1 (this machine only); any other address needs --token.")]
    public string Bind { get; init; } = "127.0.0.1";

    [CommandOption("--token <TOKEN>")]
    [Description("A token every request must carry (?token= once, then a cookie; or Authorization: Bearer). Default $PGOPT_DASHBOARD_TOKEN.")]
    public string? Token { get; init; }

    [CommandOption("--allow-actions")]
    [Description("Enable actions (cancel a running query), each a POST with an antiforgery token. Off by default: read-only.")]
    public bool AllowActions { get; init; }

    [CommandOption("--step <DURATION>")]
    [Description("How often the charts gain a point and the pages refresh. Default 5s.")]
    public string Step { get; init; } = "5s";
}

/// <summary>pgopt dashboard: the web dashboard of every application instance, served from the command line.</summary>
public sealed class DashboardCommand : AsyncCommand<DashboardSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DashboardSettings settings, CancellationToken cancellationToken)
    {
        var step = DurationParser.Parse(settings.Step, "--step");
        if (settings.Port is < 1 or > 65535)
        {
            throw new PgOptimizerConfigurationException($"--port {settings.Port} is not a port; give 1-65535.");
        }

        var parsed = IPAddress.TryParse(settings.Bind, out var address);
        var loopback = settings.Bind is "localhost" || (parsed && IPAddress.IsLoopback(address!));
        if (!parsed && settings.Bind != "localhost")
        {
            throw new PgOptimizerConfigurationException($"--bind '{settings.Bind}' is not an IP address; give e.g. 127.0.0.1 (this machine) or 0.0.0.0 (every interface, with --token).");
        }

        var token = settings.Token ?? Environment.GetEnvironmentVariable("PGOPT_DASHBOARD_TOKEN");
        if (!loopback && string.IsNullOrWhiteSpace(token))
        {
            throw new PgOptimizerConfigurationException($"--bind {settings.Bind} listens beyond this machine: give --token (or PGOPT_DASHBOARD_TOKEN) so that only those who have it see the dashboard.");
        }

        var resolved = CliRuntime.Resolve(settings);
        if (string.IsNullOrWhiteSpace(resolved.Connection))
        {
            throw new PgOptimizerConfigurationException("No database connection is configured. Pass --connection, set PGOPT_CONNECTION (or NEON_DATABASE_URL), or run 'pgopt demo' to start a local one.");
        }

        // The tool's own directory as content root, and no configuration reload: the defaults would
        // read appsettings.json from wherever the command is run and watch that whole directory tree
        // for changes — next to a database's data directory, a file event per write, which cost the
        // dashboard about a third of its CPU under load. Its configuration comes from CliRuntime.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{(settings.Bind.Contains(':', StringComparison.Ordinal) ? $"[{settings.Bind}]" : settings.Bind)}:{settings.Port}");
        // This process caches nothing: every instance's cache figures come through Redis. A cache of
        // its own on the backplane would receive every invalidation the applications send (hundreds
        // a second under load), each a thread-pool wake-up.
        CliRuntime.ConfigureServices(builder.Services, resolved, settings.Verbose, longRunning: true, tuneCache: o => o.UseRedis = false, configure: services =>
        {
            // The dashboard evaluates every instance's figures itself; this process serves no traffic.
            services.RemoveAll<IHostedService>();
            services.AddPgOptimizerDashboard(o =>
            {
                o.Step = step;
                o.Token = string.IsNullOrWhiteSpace(token) ? null : token;
                o.AllowActions = settings.AllowActions;
                o.AllInstances = true;
            });
            services.PostConfigure<MonitoringOptions>(o => o.Interval = step);
        });
        var app = builder.Build();
        app.MapGet("/", () => Results.Redirect("/pgopt/"));
        app.MapPgOptimizerDashboard("/pgopt");
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var url = $"http://{(settings.Bind is "0.0.0.0" or "::" ? "127.0.0.1" : settings.Bind)}:{settings.Port}/pgopt/";
        if (settings.Json)
        {
            Output.WriteJson(new { url, readOnly = !settings.AllowActions, token = token is not null });
        }
        else
        {
            AnsiConsole.MarkupLine($"Dashboard: [bold]{Output.Esc(url)}[/]{(token is null ? string.Empty : " (token required)")}{(settings.AllowActions ? string.Empty : ", read-only")}. Ctrl+C stops it.");
        }

        try
        {
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }
}
