using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using PgOptimizer.AspNetCore;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Monitoring;

public sealed class AspNetCoreEndpointTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(db => db.ExecAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)"));

    public Task InitializeAsync() => _m.InitializeAsync();

    public Task DisposeAsync() => _m.DisposeAsync();

    [Fact]
    public async Task An_application_serves_metrics_that_promtool_accepts_and_its_database_health()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPgOptimizer(
            c => c.ConnectionString = _m.Db.Connection,
            r => r.Url = TestServices.RedisUrl,
            m => m.RedisKeyPrefix = $"pgopt-test-{Guid.NewGuid():N}:");
        await using var app = builder.Build();
        app.MapPgOptimizerMetrics();
        app.MapPgOptimizerHealth();
        app.MapGet("/items/{id:int}", async (int id, PgConnectionManager db) => await db.ScalarAsync(DbIntent.Read, "SELECT id FROM t WHERE id = $1", [id]));
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal("1", await http.GetStringAsync("/items/1"));
            }

            using var metrics = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Equal("text/plain", metrics.Content.Headers.ContentType!.MediaType);
            var text = await metrics.Content.ReadAsStringAsync();
            Assert.Contains("pgopt_query_duration_seconds_count{endpoint=\"primary\"} 5", text, StringComparison.Ordinal);
            Assert.Contains("pgopt_statement_info{statement_id=\"", text, StringComparison.Ordinal); // ids joinable to their SQL
            Assert.Contains("statement=\"SELECT id FROM t WHERE id = ", text, StringComparison.Ordinal);
            await Promtool.CheckAsync(text);

            using var health = JsonDocument.Parse(await http.GetStringAsync("/health/database"));
            Assert.Equal("healthy", health.RootElement.GetProperty("overall").GetString());
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/metrics?format=xml")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
