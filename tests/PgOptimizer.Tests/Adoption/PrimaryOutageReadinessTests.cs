using System.Net;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Adoption;

/// <summary>Readiness follows the primary: stopped, the instance leaves the load balancer; back, it returns.</summary>
[Collection(OutageCollection.Name)]
public sealed class PrimaryOutageReadinessTests(DemoDatabase demo) : IClassFixture<DemoDatabase>
{
    [Fact]
    public async Task Readiness_is_503_while_the_primary_is_stopped_and_200_when_it_returns()
    {
        await using var host = await SampleApiHost.StartAsync(demo.Settings());
        await TestServices.WaitUntilAsync(async () => (await host.Http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "ready before the outage");

        await TestServices.ServicesAsync("stop", "primary");
        try
        {
            await TestServices.WaitUntilAsync(async () => (await host.Http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15), "readiness 503 with the primary stopped");
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/health/live")).StatusCode); // alive: a restart would not help
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.Http.GetAsync("/health/database")).StatusCode);
        }
        finally
        {
            await TestServices.ServicesAsync("start", "primary");
        }

        await TestServices.WaitUntilAsync(async () => (await host.Http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readiness 200 with the primary back");
    }
}
