using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Cost;
using PgOptimizer.Diagnostics;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cost;

public sealed class BudgetTests
{
    private static readonly NeonPricePlan Launch = NeonPriceTable.Default().For("launch", new DateOnly(2026, 11, 1));

    /// <summary>
    /// A synthetic month: 30 days; working days cost $12, the two weekend days of each week $6
    /// (compute only). Twenty days are known; the forecast must land within 5 % of the whole
    /// month's true cost, which the pattern gives exactly.
    /// </summary>
    [Fact]
    public void The_forecast_of_a_synthetic_history_is_within_five_percent_of_the_known_answer()
    {
        var periodStart = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        static decimal DayCost(int day) => day % 7 is 5 or 6 ? 6m : 12m; // days 5 and 6 of each week are the weekend
        var points = new List<NeonUsagePoint>();
        for (var day = 0; day < 20; day++)
        {
            for (var hour = 0; hour < 24; hour++)
            {
                var start = periodStart.AddDays(day).AddHours(hour);
                var cuSeconds = (double)(DayCost(day) / 24m / Launch.ComputeUnitHour * 3600m);
                points.Add(new NeonUsagePoint(start, start.AddHours(1), "launch", periodStart, cuSeconds, 0, 0, 0, 0, null));
            }
        }

        var project = new NeonProject { Id = "synthetic", ConsumptionPeriodStart = periodStart, ConsumptionPeriodEnd = periodStart.AddDays(30) };
        var snapshot = new NeonSnapshot(project, [], [], new NeonUsageHistory(NeonUsageSource.BillingMetrics, points), null, periodStart.AddDays(20).AddHours(9));
        var priced = NeonCostAnalyzer.Price(snapshot, new CostOptions { MonthlyBudget = 300 }, NeonPriceTable.Default());
        var truth = Enumerable.Range(0, 30).Sum(DayCost);
        var b = priced.Budget;

        Assert.Equal(Enumerable.Range(0, 20).Sum(DayCost), b.MonthToDate);
        Assert.InRange(b.Forecast, truth * 0.95m, truth * 1.05m);
        Assert.True(b.ForecastLow <= b.Forecast && b.Forecast <= b.ForecastHigh);
        Assert.InRange(truth, b.ForecastLow, b.ForecastHigh);
        Assert.Equal(7, b.DaysInRate);
        Assert.Equal(HealthLevel.Critical, b.Status); // ~$312 against $300
        Assert.Equal(Math.Round((double)(b.Forecast / 300m), 4), b.ShareOfBudget);
    }

    [Theory]
    [InlineData(1000, "Healthy")]
    [InlineData(420, "Warning")]
    [InlineData(500, "Healthy")]
    [InlineData(300, "Critical")]
    public async Task The_budget_of_the_doubles_project_is_judged_against_the_forecast(int budget, string expected)
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        await using var sp = neon.Services(o => o.MonthlyBudget = budget);
        var analysis = await sp.GetRequiredService<NeonCostOptimizer>().GetBudgetAsync();
        var share = (double)(analysis.Forecast / budget);
        var level = share >= 1 ? HealthLevel.Critical : share >= 0.8 ? HealthLevel.Warning : HealthLevel.Healthy;
        Assert.Equal(level, analysis.Status);
        Assert.Equal(expected, analysis.Status.ToString()); // the double's forecast is about $351
        Assert.InRange(analysis.Forecast, 340m, 360m);
    }

    [Fact]
    public async Task A_budget_at_risk_becomes_a_monitoring_alert()
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        await using var db = new ManagedDatabase();
        await db.InitializeAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPgConnections(o => o.ConnectionString = db.Db.Connection);
        services.AddPgMonitoring(o => o.RedisKeyPrefix = "pgopt:test:budget:" + Guid.NewGuid().ToString("N")[..8] + ":");
        services.AddPgCost(o =>
        {
            o.NeonApiUrl = neon.BaseUrl;
            o.NeonApiKey = neon.Options.ApiKey;
            o.ProjectId = PgOptimizer.Samples.NeonApi.NeonFixture.ProjectId;
            o.MonthlyBudget = 300;
            o.AsOf = NeonDoubleHost.Day.AddHours(12);
        });
        await using var sp = services.BuildServiceProvider();
        var monitor = sp.GetRequiredService<DatabasePerformanceMonitor>();

        var before = await monitor.EvaluateAsync(new HealthEvaluation { IgnoreForDurations = true });
        Assert.DoesNotContain(before.Alerts, a => a.Name == AlertNames.NeonBudget); // nothing read yet

        var reading = await sp.GetRequiredService<BudgetWatcher>().RefreshAsync();
        Assert.NotNull(reading);
        Assert.Same(sp.GetRequiredService<BudgetWatcher>(), sp.GetRequiredService<IBudgetSource>());
        var after = await monitor.EvaluateAsync(new HealthEvaluation { IgnoreForDurations = true });
        var alert = Assert.Single(after.Alerts, a => a.Name == AlertNames.NeonBudget);
        Assert.Equal(HealthLevel.Critical, alert.Severity);
        Assert.Contains(after.Recommendations, r => r.Action.Contains("pgopt cost report", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("300", 300)]
    [InlineData("$249.99", 249.99)]
    [InlineData(" 1,200 ", 1200)]
    public void Budgets_are_read_as_dollars(string text, decimal expected) =>
        Assert.Equal(expected, CostServiceCollectionExtensions.ParseBudget(text, "NEON_MONTHLY_BUDGET"));

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("300 dollars")]
    public void A_bad_budget_says_what_to_write(string text)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => CostServiceCollectionExtensions.ParseBudget(text, "NEON_MONTHLY_BUDGET"));
        Assert.Contains("positive number", ex.Message, StringComparison.Ordinal);
        var options = new CostOptions();
        Assert.Throws<PgOptimizerConfigurationException>(() => CostServiceCollectionExtensions.FromEnvironment(options, n => n == "NEON_MONTHLY_BUDGET" ? text : null));
        _ = Options.Create(options);
    }
}
