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
        int written;
        await using (var first = await DashboardHost.StartAsync(o => o.AllInstances = true, application: application))
        {
            await TestServices.WaitUntilAsync(() => Task.FromResult(first.History.Points.Count >= 3), TimeSpan.FromSeconds(20), "three points");
            written = first.History.Points.Count;
        }

        await using var second = await DashboardHost.StartAsync(o => o.AllInstances = true, application: application);
        await TestServices.WaitUntilAsync(() => Task.FromResult(second.History.Points.Count >= written), TimeSpan.FromSeconds(5), "the shared points");
        Assert.True(second.History.Points[0].At < DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 2, "the oldest point predates the second dashboard");

        await using var other = await DashboardHost.StartAsync(o => o.AllInstances = true); // another application shares nothing with it
        await Task.Yield();
        Assert.True(other.History.Points.Count < written);
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
