using PgOptimizer.Cost;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cost;

public sealed class CostModelTests
{
    private static readonly NeonPricePlan Launch = NeonPriceTable.Default().For("launch", new DateOnly(2026, 11, 1));

    [Theory]
    [InlineData("ep-cool-darkness-123456.us-east-2.aws.neon.tech", "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech", true)]
    [InlineData("ep-cool-darkness-123456.us-east-2.aws.neon.tech", "EP-COOL-DARKNESS-123456.us-east-2.aws.neon.tech", true)]
    [InlineData("ep-cool-darkness-123456.us-east-2.aws.neon.tech", "ep-cool-darkness-654321.us-east-2.aws.neon.tech", false)]
    [InlineData("", "127.0.0.1", false)]
    public void A_connection_is_matched_to_its_endpoint_directly_or_through_the_pooler(string endpointHost, string connectionHost, bool same) =>
        Assert.Equal(same, NeonCostOptimizer.SameEndpoint(endpointHost, connectionHost));

    [Fact]
    public void A_working_set_larger_than_the_file_cache_prices_the_size_that_holds_it()
    {
        var endpoint = new NeonEndpoint { Id = "ep-main", AutoscalingLimitMinCu = 1, AutoscalingLimitMaxCu = 4 };
        var advice = PostgresCostAnalysis.WorkingSetAdvice(7_000_000_000, 3_221_225_472, 0.91, endpoint, 730, Launch);
        // 7 GB needs 3 CU of 3 GiB cache each; 2 CU more for 730 h at $0.106 = $154.76
        Assert.Contains("about 3 CU", advice, StringComparison.Ordinal);
        Assert.Contains("$154.76 a month", advice, StringComparison.Ordinal);
        Assert.Contains("hit ratio 91.0 %", advice, StringComparison.Ordinal);

        var fits = PostgresCostAnalysis.WorkingSetAdvice(1_000_000_000, 3_221_225_472, 0.995, endpoint, 730, Launch);
        Assert.Contains("it fits", fits, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outside_neon_the_working_set_is_not_read()
    {
        await using var db = new ManagedDatabase();
        await db.InitializeAsync();
        Assert.Null(await PostgresCostAnalysis.WorkingSetAsync(db.Connections.Primary.DataSource, CancellationToken.None));
    }

    [Fact]
    public void Prices_are_configuration_with_dates_they_apply_from()
    {
        var table = new NeonPriceTable(
        [
            new NeonPricePlan { Name = "launch", From = new DateOnly(2025, 8, 14), ComputeUnitHour = 0.106m, StorageGbMonth = 0.35m },
            new NeonPricePlan { Name = "launch", From = new DateOnly(2027, 1, 1), ComputeUnitHour = 0.12m, StorageGbMonth = 0.30m },
        ]);
        Assert.Equal(0.106m, table.For("launch", new DateOnly(2026, 12, 31)).ComputeUnitHour);
        Assert.Equal(0.12m, table.For("launch_v2", new DateOnly(2027, 1, 1)).ComputeUnitHour); // Neon's plan names carry suffixes
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => table.For("scale", new DateOnly(2026, 1, 1)));
        Assert.Contains("--plan", ex.Message, StringComparison.Ordinal);
        Assert.Throws<PgOptimizerConfigurationException>(() => new NeonPriceTable([new NeonPricePlan { Name = "launch", ComputeUnitHour = 0 }]));

        var builtIn = NeonPriceTable.Default();
        Assert.Equal(0.222m, builtIn.For("scale", new DateOnly(2026, 11, 1)).ComputeUnitHour);
        Assert.Equal(25, builtIn.For("scale", new DateOnly(2026, 11, 1)).IncludedBranches);
        Assert.Equal(10, Launch.IncludedBranches);
        Assert.Equal(1.50m, Launch.ExtraBranchMonth);
        Assert.Equal(0.20m, Launch.InstantRestoreGbMonth);
        Assert.Equal(500m, Launch.IncludedEgressGb);
        Assert.Equal(0.10m, Launch.EgressGb);
    }

    [Fact]
    public void Branches_beyond_the_included_count_add_their_charge_to_a_stale_branchs_saving()
    {
        var asOf = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
        var branches = new List<NeonBranch> { new() { Id = "br-main", Name = "main", Default = true, CreatedAt = asOf.AddDays(-300), UpdatedAt = asOf } };
        for (var i = 0; i < 12; i++)
        {
            branches.Add(new NeonBranch { Id = $"br-ci-{i}", Name = $"ci/run-{i}", ParentId = "br-main", CreatedAt = asOf.AddDays(-60), UpdatedAt = asOf.AddDays(-30), LogicalSize = 1_000_000_000 });
        }

        var project = new NeonProject { Id = "p", HistoryRetentionSeconds = 86400, ConsumptionPeriodStart = asOf.AddDays(-19), ConsumptionPeriodEnd = asOf.AddDays(11) };
        var usage = new NeonUsageHistory(NeonUsageSource.BillingMetrics, [new NeonUsagePoint(asOf.AddDays(-1), asOf, "launch", asOf.AddDays(-19), 3600, 0, 0, 0, 0, null)]);
        var snapshot = new NeonSnapshot(project, branches, [], usage, null, asOf);
        var options = new CostOptions();
        var priced = NeonCostAnalyzer.Price(snapshot, options, NeonPriceTable.Default());
        var notes = new List<string>();
        var deletes = NeonCostAnalyzer.Branches(snapshot, priced, options, notes).ToList();

        Assert.Equal(12, deletes.Count); // 13 branches, 3 beyond the 10 included
        Assert.Equal(3, deletes.Count(d => d.MonthlySavings == 0.35m + 1.50m));
        Assert.Equal(9, deletes.Count(d => d.MonthlySavings == 0.35m));
        Assert.Contains(notes, n => n.Contains("3 beyond the 10", StringComparison.Ordinal));
    }
}
