using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using PgOptimizer.AspNetCore.Dashboard;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Dashboard;

/// <summary>The dashboard in Debian's chromium, driven by Playwright: every page, live charts, alerts, slow queries, safety, accessibility.</summary>
public sealed class DashboardBrowserTests : IAsyncLifetime
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshots");
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Debian's chromium is not installed: scripts/test.sh installs it (apt-get install chromium).");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private async Task<(IPage Page, List<string> Errors)> OpenAsync()
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                errors.Add($"{m.Type}: {m.Text}");
            }
        };
        page.PageError += (_, e) => errors.Add("page error: " + e);
        return (page, errors);
    }

    [Fact]
    public async Task Every_page_loads_without_console_errors_and_axe_finds_no_serious_violation()
    {
        await using var host = await DashboardHost.StartAsync();
        await TestServices.WaitUntilAsync(() => Task.FromResult(host.App.Services.GetService(typeof(DashboardHistory)) is DashboardHistory h && h.Points.Count >= 2), TimeSpan.FromSeconds(20), "two history points");
        var (page, errors) = await OpenAsync();
        foreach (var (slug, title) in DashboardEndpoints.Pages)
        {
            var response = await page.GotoAsync($"{host.BaseUrl}/pgopt/{slug}", new() { WaitUntil = WaitUntilState.NetworkIdle });
            Assert.Equal(200, response!.Status);
            Assert.Equal($"PgOptimizer · {title}", await page.TitleAsync());
            Assert.Equal(title, await page.Locator("h1").InnerTextAsync());
            if (await page.Locator("[data-chart]").CountAsync() > 0)
            {
                await page.WaitForFunctionAsync("() => (window.pgoptCharts || []).length >= document.querySelectorAll('[data-chart]').length");
            }

            // one live refresh of the fragment (htmx) without error
            await page.WaitForResponseAsync(r => r.Url.Contains("/pgopt/partials/", StringComparison.Ordinal) && r.Status == 200);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"{(slug.Length == 0 ? "overview" : slug)}.png"), FullPage = true });
            var axe = await page.RunAxe();
            var serious = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{title}: {v.Id} ({v.Impact}) {v.Help}").ToList();
            Assert.True(serious.Count == 0, string.Join("\n", serious));
        }

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Charts_gain_points_while_a_workload_runs()
    {
        await using var host = await DashboardHost.StartAsync();
        var (page, errors) = await OpenAsync();
        await page.GotoAsync($"{host.BaseUrl}/pgopt/");
        await page.WaitForFunctionAsync("() => (window.pgoptCharts || []).length === 2");
        var first = await page.EvaluateAsync<int>("() => window.pgoptCharts[0].points");
        await page.WaitForFunctionAsync($"() => window.pgoptCharts[0].points >= {first + 3}", null, new() { Timeout = 20_000 });
        var rates = await page.EvaluateAsync<double[]>("() => window.pgoptCharts[1].plot.data[1].filter(v => v != null)");
        Assert.Contains(rates, r => r > 0); // the workload's queries per second, not a flat line
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task A_hidden_page_stops_refreshing_and_refreshes_at_once_when_shown_again()
    {
        await using var host = await DashboardHost.StartAsync();
        var (page, errors) = await OpenAsync();
        var requests = 0;
        page.Request += (_, r) =>
        {
            if (r.Url.Contains("/pgopt/partials/", StringComparison.Ordinal) || r.Url.Contains("/pgopt/api/history", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref requests);
            }
        };
        await page.GotoAsync($"{host.BaseUrl}/pgopt/");
        await page.WaitForResponseAsync(r => r.Url.Contains("/pgopt/partials/", StringComparison.Ordinal) && r.Status == 200);

        await page.EvaluateAsync("""
            () => {
              Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
              Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
              document.dispatchEvent(new Event("visibilitychange"));
            }
            """);
        var ticks = await page.EvaluateAsync<int>("() => window.pgoptRefreshes");
        var before = Volatile.Read(ref requests);
        // three refresh periods (1 s each) hidden: absence can only be observed over time
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Equal(ticks, await page.EvaluateAsync<int>("() => window.pgoptRefreshes"));
        Assert.Equal(before, Volatile.Read(ref requests));

        var shown = page.WaitForResponseAsync(r => r.Url.Contains("/pgopt/partials/", StringComparison.Ordinal) && r.Status == 200);
        var refreshedAtOnce = await page.EvaluateAsync<int>("""
            () => {
              Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
              Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
              const before = window.pgoptRefreshes;
              document.dispatchEvent(new Event("visibilitychange"));
              return window.pgoptRefreshes - before;
            }
            """);
        Assert.Equal(1, refreshedAtOnce); // on being shown, not at the next tick
        await shown;
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task A_slow_query_appears_on_the_queries_page_and_a_firing_alert_on_the_overview()
    {
        // an alert that fires at once: mean query time above 0.001 ms
        await using var host = await DashboardHost.StartAsync(monitoring: o => o.Alerts[AlertNames.AvgQueryTime] = new AlertThreshold { Warning = 0.001, Critical = 10_000, For = TimeSpan.Zero, Unit = "ms" });
        var (page, errors) = await OpenAsync();
        await page.GotoAsync($"{host.BaseUrl}/pgopt/");
        await Assertions.Expect(page.Locator("#live table").First).ToContainTextAsync("avg_query_time", new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#live")).ToContainTextAsync("firing");

        await host.SlowQueryAsync();
        await page.GotoAsync($"{host.BaseUrl}/pgopt/queries");
        await Assertions.Expect(page.Locator("#live")).ToContainTextAsync("SELECT pg_sleep(", new() { Timeout = 20_000 }); // normalized: no values, no comments
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "queries-slow.png"), FullPage = true });

        // one statement's page: its figures and its generic plan
        await page.Locator("#live a[href*='/pgopt/queries/']").First.ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Statement ");
        await Assertions.Expect(page.Locator("pre[aria-label='Plan']")).ToContainTextAsync("cost=");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "statement.png"), FullPage = true });
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task A_token_is_required_when_set_and_actions_are_refused_while_read_only()
    {
        await using var host = await DashboardHost.StartAsync(dashboard: o => o.Token = "dash-token-5f2a");
        using var http = new HttpClient();
        Assert.Equal(401, (int)(await http.GetAsync($"{host.BaseUrl}/pgopt/")).StatusCode);
        Assert.Equal(401, (int)(await http.GetAsync($"{host.BaseUrl}/pgopt/api/history")).StatusCode);

        var (page, errors) = await OpenAsync();
        var first = await page.GotoAsync($"{host.BaseUrl}/pgopt/?token=dash-token-5f2a");
        Assert.Equal(200, first!.Status);
        var again = await page.GotoAsync($"{host.BaseUrl}/pgopt/connections"); // the cookie carries it now
        Assert.Equal(200, again!.Status);
        Assert.Equal(0, await page.Locator("form[action$='/actions/cancel']").CountAsync()); // no action offered
        await Assertions.Expect(page.Locator("#live")).ToContainTextAsync("read-only");

        var refused = await page.APIRequest.PostAsync($"{host.BaseUrl}/pgopt/actions/cancel", new() { Form = page.APIRequest.CreateFormData().Set("pid", "1") });
        Assert.Equal(403, refused.Status);
        Assert.Contains("read-only", await refused.TextAsync(), StringComparison.Ordinal);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task With_actions_enabled_a_cancel_needs_the_forms_antiforgery_token_and_cancels_the_query()
    {
        await using var host = await DashboardHost.StartAsync(dashboard: o => o.AllowActions = true);
        var sleeping = host.Connections.ScalarAsync(DbIntent.Write, "SELECT pg_sleep(30) /* dashboard cancel me */").AsTask();
        var (page, errors) = await OpenAsync();
        await page.GotoAsync($"{host.BaseUrl}/pgopt/connections");
        var row = page.Locator("tr", new() { HasText = "dashboard cancel me" });
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 20_000 });

        var forged = await page.APIRequest.PostAsync($"{host.BaseUrl}/pgopt/actions/cancel", new() { Form = page.APIRequest.CreateFormData().Set("pid", "1") });
        Assert.Equal(400, forged.Status); // no antiforgery token

        await row.GetByRole(AriaRole.Button, new() { Name = "Cancel query" }).ClickAsync();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => sleeping);
        Assert.Contains("57014", ex.ToString(), StringComparison.Ordinal); // query_canceled
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
