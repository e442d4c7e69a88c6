using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PgOptimizer.AspNetCore.Dashboard;

/// <summary>The web dashboard: registration and mapping.</summary>
public static class DashboardEndpoints
{
    /// <summary>The pages, in the order of the navigation.</summary>
    public static IReadOnlyList<(string Slug, string Title)> Pages { get; } =
    [
        ("", "Overview"), ("queries", "Queries"), ("indexes", "Indexes"), ("cache", "Cache"), ("replicas", "Replicas"), ("cost", "Cost"), ("connections", "Connections"),
    ];

    /// <summary>
    /// Adds the dashboard's history (a point per monitoring evaluation, kept in memory) and its
    /// options. Needs the monitoring and connections of <c>AddPgOptimizer</c>.
    /// </summary>
    public static IServiceCollection AddPgOptimizerDashboard(this IServiceCollection services, Action<DashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<DashboardOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.AddAntiforgery();
        services.TryAddSingleton<DashboardHistory>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DashboardHistory>());
        services.TryAddSingleton<DashboardData>();
        return services;
    }

    /// <summary>
    /// Maps the dashboard under <paramref name="prefix"/>: the pages (server-rendered, refreshed in
    /// place with htmx), their fragments, the history as JSON for the charts, the embedded scripts
    /// and styles, and the actions (refused unless <see cref="DashboardOptions.AllowActions"/>).
    /// Returns the group, so the application can put its own authorization policy on it:
    /// <c>app.MapPgOptimizerDashboard("/pgopt").RequireAuthorization("ops")</c>.
    /// </summary>
    public static RouteGroupBuilder MapPgOptimizerDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/pgopt")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        prefix = "/" + prefix.Trim('/');
        var group = endpoints.MapGroup(prefix);
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var options = http.RequestServices.GetRequiredService<IOptions<DashboardOptions>>().Value;
            Secure(http.Response);
            if (options.Token is { Length: > 0 } token && !Authorized(http, token))
            {
                return Results.Text("This dashboard needs its token: pass it once as ?token=… (it is then kept in a cookie) or as Authorization: Bearer …", statusCode: StatusCodes.Status401Unauthorized);
            }

            return await next(context).ConfigureAwait(false);
        });

        foreach (var (slug, title) in Pages)
        {
            group.MapGet(slug.Length == 0 ? "/" : "/" + slug, async (HttpContext http, DashboardData data, IAntiforgery antiforgery, CancellationToken ct) =>
                Results.Content(await RenderPageAsync(http, prefix, slug, title, data, antiforgery, ct).ConfigureAwait(false), "text/html; charset=utf-8"));
            group.MapGet("/partials/" + (slug.Length == 0 ? "overview" : slug), async (HttpContext http, DashboardData data, IAntiforgery antiforgery, CancellationToken ct) =>
                Results.Content(await data.RenderAsync(slug, http, antiforgery, prefix, ct).ConfigureAwait(false), "text/html; charset=utf-8"));
        }

        group.MapGet("/queries/{queryId:long}", async (long queryId, HttpContext http, DashboardData data, CancellationToken ct) =>
            Results.Content(await RenderShellAsync(http, prefix, "queries", $"Statement {queryId}", await data.StatementAsync(queryId, ct).ConfigureAwait(false), live: null, ct).ConfigureAwait(false), "text/html; charset=utf-8"));
        group.MapGet("/api/history", (DashboardHistory history) => Results.Json(history.ToColumns()));
        group.MapGet("/assets/{name}", (string name) => Asset(name));
        group.MapPost("/actions/cancel", async (HttpContext http, IAntiforgery antiforgery, DashboardData data, CancellationToken ct) =>
        {
            var options = http.RequestServices.GetRequiredService<IOptions<DashboardOptions>>().Value;
            if (!options.AllowActions)
            {
                return Results.Text("Actions are disabled: the dashboard is read-only unless started with --allow-actions (DashboardOptions.AllowActions).", statusCode: StatusCodes.Status403Forbidden);
            }

            try
            {
                await antiforgery.ValidateRequestAsync(http).ConfigureAwait(false);
            }
            catch (AntiforgeryValidationException)
            {
                return Results.Text("The form's antiforgery token is missing or wrong: reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
            }

            var form = await http.Request.ReadFormAsync(ct).ConfigureAwait(false);
            if (!int.TryParse(form["pid"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                return Results.Text("pid must be a backend's process id.", statusCode: StatusCodes.Status400BadRequest);
            }

            var cancelled = await data.CancelAsync(pid, ct).ConfigureAwait(false);
            return Results.Redirect($"{prefix}/connections?cancelled={pid}&ok={(cancelled ? 1 : 0)}");
        }).DisableAntiforgery(); // validated above, after the read-only check
        return group;
    }

    private static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
    }

    private static bool Authorized(HttpContext http, string token)
    {
        static bool Same(string? a, string b) => a is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.Ordinal) && Same(header[7..].Trim(), token))
        {
            return true;
        }

        if (Same(http.Request.Cookies["pgopt_dashboard"], token))
        {
            return true;
        }

        if (Same(http.Request.Query["token"], token))
        {
            http.Response.Cookies.Append("pgopt_dashboard", token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = "/" });
            return true;
        }

        return false;
    }

    private static IResult Asset(string name)
    {
        var type = Path.GetExtension(name) switch
        {
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => null,
        };
        var stream = type is null ? null : Assembly.GetExecutingAssembly().GetManifestResourceStream("PgOptimizer.AspNetCore.Dashboard.assets." + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, type);
    }

    private static async Task<string> RenderPageAsync(HttpContext http, string prefix, string slug, string title, DashboardData data, IAntiforgery antiforgery, CancellationToken ct)
    {
        var partial = await data.RenderAsync(slug, http, antiforgery, prefix, ct).ConfigureAwait(false);
        return await RenderShellAsync(http, prefix, slug, title, partial, $"{prefix}/partials/{(slug.Length == 0 ? "overview" : slug)}", ct).ConfigureAwait(false);
    }

    private static Task<string> RenderShellAsync(HttpContext http, string prefix, string slug, string title, string partial, string? live, CancellationToken ct)
    {
        _ = ct;
        var options = http.RequestServices.GetRequiredService<IOptions<DashboardOptions>>().Value;
        var refresh = (int)Math.Max(1000, options.Step.TotalMilliseconds);
        var b = new StringBuilder();
        b.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">");
        b.Append(CultureInfo.InvariantCulture, $"<title>PgOptimizer · {H(title)}</title>");
        b.Append("<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,\"allowEval\":false}'>");
        b.Append(CultureInfo.InvariantCulture, $"<link rel=\"stylesheet\" href=\"{prefix}/assets/uPlot.min.css\"><link rel=\"stylesheet\" href=\"{prefix}/assets/dashboard.css\">");
        b.Append(CultureInfo.InvariantCulture, $"<script src=\"{prefix}/assets/htmx.min.js\" defer></script><script src=\"{prefix}/assets/uPlot.iife.min.js\" defer></script><script src=\"{prefix}/assets/dashboard.js\" defer></script>");
        b.Append(CultureInfo.InvariantCulture, $"</head><body data-api=\"{prefix}/api\" data-refresh-ms=\"{refresh}\">");
        b.Append("<header><span class=\"brand\">PgOptimizer</span><nav aria-label=\"Pages\">");
        foreach (var (s, t) in Pages)
        {
            b.Append(CultureInfo.InvariantCulture, $"<a href=\"{prefix}/{s}\"{(s == slug ? " aria-current=\"page\"" : string.Empty)}>{H(t)}</a>");
        }

        b.Append("</nav></header><main>");
        b.Append(CultureInfo.InvariantCulture, $"<h1>{H(title)}</h1>");
        b.Append(live is null ? "<div id=\"live\">" : $"<div id=\"live\" hx-get=\"{live}\" hx-trigger=\"pgopt-refresh\" hx-swap=\"innerHTML\">");
        b.Append(partial);
        b.Append("</div>");
        var charts = live is null ? [] : slug switch
        {
            "" => new[] { ("latency", "Query time (all instances)"), ("throughput", "Queries per second and errors") },
            "queries" => [("latency", "Query time p50/p95/p99 over time")],
            "cache" => [("cache", "Cache hit rate per strategy")],
            "replicas" => [("lag", "Replication lag, seconds")],
            "connections" => [("pool", "Busy pool connections")],
            _ => [],
        };
        if (charts.Length > 0)
        {
            b.Append("<div class=\"charts\">");
            foreach (var (kind, caption) in charts)
            {
                b.Append(CultureInfo.InvariantCulture, $"<section class=\"chart\" aria-label=\"{H(caption)}\"><h2>{H(caption)}</h2><div data-chart=\"{kind}\"></div></section>");
            }

            b.Append("</div>");
        }

        b.Append("</main></body></html>");
        return Task.FromResult(b.ToString());
    }

    internal static string H(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}
