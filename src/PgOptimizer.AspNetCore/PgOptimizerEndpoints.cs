using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PgOptimizer.Monitoring;

namespace PgOptimizer.AspNetCore;

/// <summary>Maps PgOptimizer's monitoring endpoints into an ASP.NET Core application.</summary>
public static class PgOptimizerEndpoints
{
    /// <summary>Prometheus text exposition content type.</summary>
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// GET <paramref name="pattern"/>: the metrics in Prometheus text format, or JSON with
    /// <c>?format=json</c>. <c>?scope=all</c> (or <paramref name="allInstances"/>) merges the
    /// client-side figures of every instance publishing to Redis; by default this instance only,
    /// which is what a Prometheus scraping every instance wants.
    /// </summary>
    public static IEndpointConventionBuilder MapPgOptimizerMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics", bool allInstances = false)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(pattern, async (HttpContext context) =>
        {
            var monitor = context.RequestServices.GetRequiredService<DatabasePerformanceMonitor>();
            var query = context.Request.Query;
            var format = query["format"].ToString();
            if (format is not ("" or "prometheus" or "json"))
            {
                return Results.BadRequest($"format '{format}' is not prometheus or json.");
            }

            var all = allInstances || query["scope"] == "all";
            var json = format == "json";
            var text = await monitor.ExportMetricsAsync(json ? MetricsFormat.Json : MetricsFormat.Prometheus, all, context.RequestAborted).ConfigureAwait(false);
            return Results.Text(text, json ? "application/json" : PrometheusContentType);
        });
    }

    /// <summary>
    /// GET <paramref name="pattern"/>: the monitor's last evaluation (<see cref="DatabasePerformanceMonitor.LastHealth"/>:
    /// figures, alerts, recommendations) as JSON, without evaluating again: no query per request, and
    /// the alerts' "for" windows are left alone. HTTP 503 only when the primary is not ready (it does
    /// not answer, its pool is exhausted or its circuit is open); performance alerts answer 200.
    /// </summary>
    public static IEndpointConventionBuilder MapPgOptimizerHealth(this IEndpointRouteBuilder endpoints, string pattern = "/health/database")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(pattern, async (HttpContext context) =>
        {
            var monitor = context.RequestServices.GetRequiredService<DatabasePerformanceMonitor>();
            var checks = context.RequestServices.GetRequiredService<HealthCheckService>();
            var ready = await checks.CheckHealthAsync(r => r.Name == "pgopt-primary", context.RequestAborted).ConfigureAwait(false);
            var status = ready.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            object body = monitor.LastHealth is { } health
                ? health
                : new { overall = "unknown", message = "not evaluated yet: the monitor evaluates every PgOptimizer:Monitoring:Interval" };
            return Results.Json(body, statusCode: status);
        });
    }

    /// <summary>
    /// Kubernetes-style probes under <paramref name="prefix"/>: <c>/live</c> runs no check (the process
    /// answers: restarting it would not bring a database back) and <c>/ready</c> runs the checks
    /// tagged <see cref="HealthTags.Ready"/>: 503 when the primary does not answer or its pool is
    /// exhausted; 200 when healthy or degraded (performance alerts, a replica out of rotation).
    /// Both answer JSON with each check's status, description and data, and neither sends a query.
    /// </summary>
    public static IEndpointConventionBuilder MapPgOptimizerHealthChecks(this IEndpointRouteBuilder endpoints, string prefix = "/health")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix);
        group.MapHealthChecks("/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJsonAsync });
        group.MapHealthChecks("/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteJsonAsync });
        return group;
    }

    /// <summary>Writes a health report as JSON: overall status, then each check's status, description, duration and data.</summary>
    public static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 3),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 3),
                data = e.Value.Data,
            }),
        };
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json), context.RequestAborted);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
