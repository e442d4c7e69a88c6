using System.ComponentModel.DataAnnotations;

namespace PgOptimizer.Cost;

/// <summary>Options of the Neon cost optimizer (section <c>PgOptimizer:Cost</c>).</summary>
public sealed class CostOptions
{
    /// <summary>Neon's API address (a local double for trials: see the README).</summary>
    public string NeonApiUrl { get; set; } = CostDefaults.NeonApiUrl;

    /// <summary>The API key (NEON_API_KEY). Sent in the Authorization header only; never logged or printed.</summary>
    public string? NeonApiKey { get; set; }

    /// <summary>The organization whose consumption to read (org_id), when the key is a personal key of several.</summary>
    public string? NeonOrgId { get; set; }

    /// <summary>The project to analyse (NEON_PROJECT_ID).</summary>
    public string? ProjectId { get; set; }

    /// <summary>Analyse as of this moment instead of now (reproduce an earlier report; the history must reach it).</summary>
    public DateTimeOffset? AsOf { get; set; }

    /// <summary>The plan to price with; null to take it from the consumption history's period plan.</summary>
    public string? Plan { get; set; }

    /// <summary>The monthly budget in dollars (NEON_MONTHLY_BUDGET); null for none.</summary>
    [Range(0.01, 10_000_000)]
    public decimal? MonthlyBudget { get; set; }

    /// <summary>Budget shares that raise a warning and a critical alert.</summary>
    public double BudgetWarningRatio { get; set; } = 0.8;

    /// <summary>The price table; empty for the built-in one (Neon's plans page, 2026).</summary>
    public List<NeonPricePlan> Prices { get; set; } = [];

    /// <summary>A branch without activity for this long is stale (delete it).</summary>
    public TimeSpan StaleBranchAfter { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Branch names that are previews (per pull request): they get an expiry.</summary>
    public List<string> PreviewBranchPrefixes { get; set; } = ["preview/", "pr-", "ci/"];

    /// <summary>How long a preview branch lives after it was created, when it is given an expiry.</summary>
    public TimeSpan PreviewBranchLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a development compute that may scale to zero is estimated to stay awake, as a
    /// multiple of its CPU time at its minimum size (the idle tail before it suspends).
    /// </summary>
    [Range(1.0, 100.0)]
    public double AwakeFactor { get; set; } = 1.5;

    /// <summary>The restore window recommended for a project whose history costs more than the window is worth.</summary>
    public TimeSpan RecommendedRestoreWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Page size of list calls.</summary>
    [Range(1, 400)]
    public int PageSize { get; set; } = 100;

    /// <summary>How often the budget is re-read for monitoring's budget alert (hosted applications).</summary>
    public TimeSpan BudgetRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Statements priced in the query analysis.</summary>
    [Range(1, 100)]
    public int TopStatements { get; set; } = 10;

    /// <summary>Run the index advisor on the costliest statements (HypoPG; a few seconds).</summary>
    public bool AdviseIndexes { get; set; } = true;

    /// <summary>The price table these options name.</summary>
    public NeonPriceTable PriceTable() => Prices.Count > 0 ? new NeonPriceTable(Prices) : NeonPriceTable.Default();
}
