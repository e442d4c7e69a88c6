using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
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
    /// GET <paramref name="pattern"/>: <see cref="DatabasePerformanceMonitor.GetDatabaseHealthAsync"/>
    /// as JSON; HTTP 200 when healthy or warning, 503 when critical (for load balancer probes).
    /// </summary>
    public static IEndpointConventionBuilder MapPgOptimizerHealth(this IEndpointRouteBuilder endpoints, string pattern = "/health/database")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(pattern, async (HttpContext context) =>
        {
            var monitor = context.RequestServices.GetRequiredService<DatabasePerformanceMonitor>();
            var health = await monitor.GetDatabaseHealthAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(health, statusCode: health.Overall == HealthLevel.Critical ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        });
    }
}
