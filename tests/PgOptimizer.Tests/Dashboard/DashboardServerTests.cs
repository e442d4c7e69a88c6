using PgOptimizer.Samples.NeonApi;
using PgOptimizer.Tests.Cost;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Dashboard;

/// <summary>The dashboard over HTTP: history shared through Redis, a suspended Neon compute left asleep, the cost page.</summary>
public sealed class DashboardServerTests
{
    [Fact]
    public async Task A_dashboard_started_later_shows_the_history_another_shared_through_redis()
    {
        var application = "dashboard-shared-" + Guid.NewGuid().ToString("N")[..8];
        long[] written;
        await using (var first = await DashboardHost.StartAsync(o => o.AllInstances = true, application: application))
        {
            await TestServices.WaitUntilAsync(() => Task.FromResult(first.History.Points.Count >= 3), TimeSpan.FromSeconds(20), "three points");
            written = first.History.Points.Select(p => p.At).ToArray();
        }

        // the second dashboard of the same application starts with the first one's points (exactly those seconds)
        await using var second = await DashboardHost.StartAsync(o => o.AllInstances = true, application: application);
        await TestServices.WaitUntilAsync(() => Task.FromResult(written.All(at => second.History.Points.Any(p => p.At == at))), TimeSpan.FromSeconds(10), "the shared points");

        // a dashboard of another application shares nothing: every point it has, it took itself
        var started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await using var other = await DashboardHost.StartAsync(o => o.AllInstances = true);
        await TestServices.WaitUntilAsync(() => Task.FromResult(other.History.Points.Count >= 1), TimeSpan.FromSeconds(20), "its own first point");
        Assert.All(other.History.Points, p => Assert.True(p.At >= started - 1, $"point at {p.At} predates the dashboard ({started})"));
    }

    [Fact]
    public async Task A_suspended_neon_compute_is_not_queried_and_the_cost_page_shows_the_report()
    {
        await using var neon = await NeonDoubleHost.StartAsync(o => o.Now = null);
        var host = new Uri(TestServices.PrimaryConnection.Replace("postgresql://", "http://", StringComparison.Ordinal)).Host;
        neon.Fixture.Endpoints.Single(e => e.Id == "ep-staging-100002").Host = host; // suspended at the fixture's hour
        await using var dashboard = await DashboardHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["PgOptimizer:Cost:NeonApiUrl"] = neon.BaseUrl,
            ["PgOptimizer:Cost:NeonApiKey"] = neon.Options.ApiKey,
            ["PgOptimizer:Cost:ProjectId"] = NeonFixture.ProjectId,
        });
        using var http = new HttpClient { BaseAddress = new Uri(dashboard.BaseUrl) };
        foreach (var page in new[] { "/pgopt/queries", "/pgopt/connections", "/pgopt/indexes" })
        {
            var html = await http.GetStringAsync(page);
            Assert.Contains("<strong>suspended</strong>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("Top statements by total time</h2><table>", html, StringComparison.Ordinal);
        }

        var cost = await http.GetStringAsync("/pgopt/cost");
        Assert.Contains("$355.25", cost, StringComparison.Ordinal); // the double's monthly cost (docs/cost.md)
        Assert.Contains("Lower the &#39;main&#39; compute&#39;s autoscaling minimum from 4 to 2 CU", cost, StringComparison.Ordinal);
        Assert.DoesNotContain(neon.Calls, c => c.Method != "GET"); // the page is a dry run
    }
}
