using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Connections;
using PgOptimizer.Cost;
using PgOptimizer.Indexing;
using PgOptimizer.Samples.NeonApi;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cost;

/// <summary>
/// The cost report of the double's project against the answers its fixture implies, worked out
/// here from the fixture's own figures (and by hand in docs/cost.md).
/// </summary>
public sealed class CostReportTests
{
    private const decimal LaunchCuHour = 0.106m;

    private static async Task<CostReport> ReportAsync(NeonDoubleHost neon, Action<CostOptions>? configure = null)
    {
        await using var sp = neon.Services(configure);
        return await sp.GetRequiredService<NeonCostOptimizer>().GenerateReportAsync();
    }

    [Fact]
    public async Task A_stale_preview_branch_is_deleted_for_its_storage()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        var report = await ReportAsync(neon);
        var delete = Assert.Single(report.BranchOptimizations, a => a.Id.StartsWith("delete-branch:", StringComparison.Ordinal));
        Assert.Equal("br-preview-pr-118-100005", delete.Subject);
        Assert.Equal(new NeonApiCall("DELETE", $"projects/{NeonFixture.ProjectId}/branches/br-preview-pr-118-100005", null), delete.Call);
        Assert.Equal(1.05m, delete.MonthlySavings); // 3 GB × $0.35/GB-month
        Assert.False(delete.QuickWin); // a deletion cannot be undone
    }

    [Fact]
    public async Task An_always_on_development_endpoint_is_let_scale_to_zero_with_its_dollars()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        var report = await ReportAsync(neon);
        var action = Assert.Single(report.ComputeOptimizations, a => a.Id == "scale-to-zero:ep-dev-alice-100003");
        Assert.True(action.QuickWin);
        Assert.Equal("{\"endpoint\":{\"suspend_timeout_seconds\":300}}", action.Call!.Body);

        // From the fixture: awake every hour of the 19-day period, CPU as it generates it.
        var f = neon.Fixture;
        var alice = f.Endpoints.Single(e => e.Id == "ep-dev-alice-100003");
        var hours = f.Hours(f.PeriodStart, f.Now).ToList();
        var cpuHours = hours.Sum(h => f.Hour(alice, h).Cpu);
        var toMonth = 730.0 / hours.Count;
        var awakeAfter = cpuHours * toMonth / 0.25 * 1.5;
        var expected = Math.Round((decimal)((730 - awakeAfter) * 0.25) * LaunchCuHour, 2);
        Assert.Equal(456, hours.Count);
        Assert.Equal(5.2, cpuHours, 6); // 0.05 CU × 8 h × 13 working days
        Assert.Equal(expected, action.MonthlySavings);
        Assert.Equal(18.02m, action.MonthlySavings);
    }

    [Fact]
    public async Task An_autoscaling_minimum_far_above_use_is_lowered_but_never_below_the_peak()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        var report = await ReportAsync(neon);
        var action = Assert.Single(report.ComputeOptimizations, a => a.Id == "autoscaling-min:ep-main-100001");
        var peak = (double)action.Evidence["peakCu"]!;
        var newMin = (double)action.Evidence["newMinCu"]!;
        Assert.Equal(2.0, newMin);
        Assert.True(newMin >= peak, $"new minimum {newMin} below the peak {peak}");
        Assert.InRange(peak, 1.4, 2.0); // production peaks at 1.4 CU of its own, plus its share of the others
        Assert.Equal("{\"endpoint\":{\"autoscaling_limit_min_cu\":2}}", action.Call!.Body); // the maximum is not touched
        Assert.Equal(154.76m, action.MonthlySavings); // 730 h × (4 − 2) CU × $0.106
        Assert.DoesNotContain(report.ActionPlan, a => a.Call?.Body?.Contains("autoscaling_limit_max_cu", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task The_default_and_protected_branches_are_never_touched()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        var report = await ReportAsync(neon);
        Assert.DoesNotContain(report.ActionPlan, a => a.Category == CostCategory.Branch && a.Subject is "br-main-100001" or "br-staging-100002");
        Assert.DoesNotContain(report.ActionPlan, a => a.Call?.Path.Contains("branches/br-main-100001", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(report.ActionPlan, a => a.Id == "scale-to-zero:ep-main-100001"); // production never suspends, by design
    }

    [Fact]
    public async Task The_report_has_the_specs_shape_and_its_sums_add_up()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        var report = await ReportAsync(neon);
        Assert.Equal("launch", report.Plan);
        Assert.Equal(report.ActionPlan.Sum(a => a.MonthlySavings), report.Summary.TotalSavingsOpportunity);
        Assert.Equal(report.MonthlyCost.Total, report.Summary.CurrentMonthlyCost);
        Assert.Equal(report.Summary.CurrentMonthlyCost - report.Summary.TotalSavingsOpportunity, report.Summary.OptimizedMonthlyCost);
        Assert.Equal(report.ActionPlan.Count, report.ComputeOptimizations.Count + report.BranchOptimizations.Count + report.StorageOptimizations.Count);
        Assert.Equal(report.ActionPlan.OrderByDescending(a => a.SavingsPerHour).Select(a => a.SavingsPerHour), report.ActionPlan.Select(a => a.SavingsPerHour));
        Assert.Contains(report.BranchOptimizations, a => a.Id == "reset-branch:br-dev-bob-100004" && a.MonthlySavings == 2.10m);
        Assert.Contains(report.BranchOptimizations, a => a.Id == "expire-branch:br-preview-pr-131-100006" && a.QuickWin);
        Assert.Contains(report.StorageOptimizations, a => a.Id == "restore-window");
        Assert.Equal(2, report.Summary.HighImpactActions);

        // each compute's use against what it is billed: production 456 awake hours at its 4 CU minimum
        var main = Assert.Single(report.ComputeUsage, u => u.Endpoint == "ep-main-100001");
        Assert.Equal((456.0, 1824.0), (main.AwakeHours, main.BilledCuHours));
        Assert.Equal(Math.Round(364.8 / 1824, 4), main.Utilization, 3);
        var alice = Assert.Single(report.ComputeUsage, u => u.Endpoint == "ep-dev-alice-100003");
        Assert.Equal(Math.Round(5.2 / (456 * 0.25), 4), alice.Utilization, 3);
        Assert.NotNull(report.BudgetAnalysis);
    }

    [Fact]
    public async Task A_rate_limited_api_is_retried_after_the_time_it_asks_for()
    {
        await using var neon = await NeonDoubleHost.StartAsync(o => o.ThrottleFirst = 3);
        var report = await ReportAsync(neon);
        Assert.NotEmpty(report.ActionPlan);
        var calls = neon.Calls;
        Assert.Equal(3, calls.Count(c => c.Status == 429));
        Assert.All(calls.Where(c => c.Status != 429), c => Assert.Equal(200, c.Status));
    }

    [Fact]
    public async Task A_bad_key_is_a_clear_error_that_does_not_contain_the_key()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        const string key = "napi_not-the-right-key-7f3c9e";
        var ex = await Assert.ThrowsAsync<NeonApiException>(() => ReportAsync(neon, o => o.NeonApiKey = key));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.Status);
        Assert.Contains("rejected the API key", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, ex.ToString(), StringComparison.Ordinal);
        Assert.Single(neon.Calls); // 401 is not retried
    }

    [Fact]
    public async Task Without_billing_metrics_the_legacy_history_prices_the_project()
    {
        await using var neon = await NeonDoubleHost.StartAsync(o => o.WithoutBillingMetrics = true);
        var report = await ReportAsync(neon);
        Assert.Contains("legacy", report.UsageSource, StringComparison.Ordinal);
        Assert.Contains(report.Notes, n => n.Contains("CPU seconds", StringComparison.Ordinal));
        Assert.True(report.MonthlyCost.Compute > 0);
        Assert.Contains(report.ActionPlan, a => a.Id == "scale-to-zero:ep-dev-alice-100003");
    }

    [Fact]
    public async Task Without_hourly_cpu_history_no_minimum_is_lowered_and_the_report_says_why()
    {
        await using var neon = await NeonDoubleHost.StartAsync(o => o.WithoutLegacyHistory = true);
        var report = await ReportAsync(neon);
        Assert.DoesNotContain(report.ActionPlan, a => a.Id.StartsWith("autoscaling-min:", StringComparison.Ordinal));
        Assert.Contains(report.Notes, n => n.Contains("No hourly CPU history", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_makes_no_changing_call_and_apply_makes_exactly_the_listed_ones()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        await using var sp = neon.Services();
        var optimizer = sp.GetRequiredService<NeonCostOptimizer>();

        var dry = await optimizer.ImplementQuickWinsAsync(dryRun: true);
        Assert.True(dry.DryRun);
        Assert.NotEmpty(dry.Results);
        Assert.All(dry.Results, r => Assert.False(r.Applied));
        Assert.DoesNotContain(neon.Calls, c => c.Method != "GET");
        Assert.Empty(neon.Fixture.Changes);

        var listed = dry.Results.Select(r => r.Action.Call!).Select(c => (c.Method, "/api/v2/" + c.Path, c.Body)).OrderBy(x => x.Item2).ToList();
        var applied = await optimizer.ImplementQuickWinsAsync(dryRun: false);
        Assert.All(applied.Results, r => Assert.True(r.Applied, r.Error));
        var changing = neon.Calls.Where(c => c.Method != "GET").Select(c => (c.Method, c.Path, c.Body)).OrderBy(x => x.Path).ToList();
        Assert.Equal(listed, changing);
        Assert.DoesNotContain(changing, c => c.Method is "DELETE" or "POST"); // only reversible changes
        Assert.Equal(2, neon.Fixture.Endpoints.Single(e => e.Id == "ep-main-100001").MinCu);
        Assert.Equal(300, neon.Fixture.Endpoints.Single(e => e.Id == "ep-dev-alice-100003").SuspendTimeoutSeconds);
        Assert.NotNull(neon.Fixture.Branches.Single(b => b.Id == "br-preview-pr-131-100006").ExpiresAt);
        Assert.Equal(applied.MonthlyCostBefore - applied.Results.Sum(r => r.Action.MonthlySavings), applied.MonthlyCostAfter);
    }

    [Fact]
    public async Task A_suspended_compute_is_not_woken_for_the_sql_analyses()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        await using var db = new ManagedDatabase();
        await db.InitializeAsync();
        var host = ConnectionStringParser.Parse(db.Db.Connection).Host!;

        // staging is suspended at the fixture's hour: point it at the test database's server
        neon.Fixture.Endpoints.Single(e => e.Id == "ep-staging-100002").Host = host;
        var report = await ReportWithDatabaseAsync(neon, db);
        Assert.Contains(report.Notes, n => n.Contains("ep-staging-100002 is suspended", StringComparison.Ordinal));
        Assert.Empty(report.QueryOptimizations);
        Assert.DoesNotContain(report.StorageOptimizations, a => a.Sql is not null);

        // production is active: the SQL analyses run
        neon.Fixture.Endpoints.Single(e => e.Id == "ep-staging-100002").Host = null;
        neon.Fixture.Endpoints.Single(e => e.Id == "ep-main-100001").Host = host;
        await db.Db.ExecAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE TABLE t (id int)");
        await db.Db.ExecAsync("SELECT count(*) FROM t");
        var active = await ReportWithDatabaseAsync(neon, db);
        Assert.DoesNotContain(active.Notes, n => n.Contains("suspended", StringComparison.Ordinal));
        Assert.NotEmpty(active.QueryOptimizations);

        // a development compute that never suspends, reachable: the report says which connections hold it awake
        neon.Fixture.Endpoints.Single(e => e.Id == "ep-main-100001").Host = null;
        neon.Fixture.Endpoints.Single(e => e.Id == "ep-dev-alice-100003").Host = host;
        await using var held = await db.Db.DataSource.OpenConnectionAsync(); // an application's idle connection
        var awake = await ReportWithDatabaseAsync(neon, db);
        Assert.Contains(awake.Notes, n => n.StartsWith("ep-dev-alice-100003: client connections now", StringComparison.Ordinal) && n.Contains("idle", StringComparison.Ordinal));
    }

    private static async Task<CostReport> ReportWithDatabaseAsync(NeonDoubleHost neon, ManagedDatabase db)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPgConnections(o => o.ConnectionString = db.Db.Connection);
        services.AddPgIndexing();
        services.AddPgCost(o =>
        {
            o.NeonApiUrl = neon.BaseUrl;
            o.NeonApiKey = neon.Options.ApiKey;
            o.ProjectId = NeonFixture.ProjectId;
            o.AdviseIndexes = false;
            o.AsOf = NeonDoubleHost.Day.AddHours(12);
        });
        await using var sp = services.BuildServiceProvider();
        return await sp.GetRequiredService<NeonCostOptimizer>().GenerateReportAsync();
    }
}
