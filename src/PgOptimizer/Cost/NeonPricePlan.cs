using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgOptimizer.Cost;

/// <summary>One Neon plan's prices from a date on (configuration: a price change is an edit, not a release).</summary>
public sealed class NeonPricePlan
{
    /// <summary>The plan's name as Neon's consumption history names it (launch, scale).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The first day these prices apply.</summary>
    public DateOnly From { get; set; }

    /// <summary>Dollars per compute-unit hour.</summary>
    public decimal ComputeUnitHour { get; set; }

    /// <summary>Dollars per GB-month of branch storage.</summary>
    public decimal StorageGbMonth { get; set; }

    /// <summary>Branches included in the plan.</summary>
    public int IncludedBranches { get; set; }

    /// <summary>Dollars per branch-month beyond those included.</summary>
    public decimal ExtraBranchMonth { get; set; }

    /// <summary>Dollars per GB-month of instant-restore history.</summary>
    public decimal InstantRestoreGbMonth { get; set; }

    /// <summary>Public egress included per month, GB.</summary>
    public decimal IncludedEgressGb { get; set; }

    /// <summary>Dollars per GB of public egress beyond that.</summary>
    public decimal EgressGb { get; set; }

    /// <summary>Bytes in a billed GB.</summary>
    public decimal BytesPerGb { get; set; } = 1_000_000_000m;
}

/// <summary>The price table: plans with the dates they apply from.</summary>
public sealed class NeonPriceTable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Creates the table.</summary>
    public NeonPriceTable(IEnumerable<NeonPricePlan> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        Plans = plans.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.From).ToList();
        foreach (var p in Plans)
        {
            if (string.IsNullOrWhiteSpace(p.Name) || p.ComputeUnitHour <= 0 || p.StorageGbMonth < 0 || p.BytesPerGb <= 0 || p.IncludedBranches < 0 || p.ExtraBranchMonth < 0 || p.InstantRestoreGbMonth < 0 || p.EgressGb < 0 || p.IncludedEgressGb < 0)
            {
                throw new PgOptimizerConfigurationException($"The price plan '{p.Name}' (from {p.From}) needs a name, a computeUnitHour above 0, bytesPerGb above 0 and no negative price or allowance.");
            }
        }
    }

    /// <summary>The plans, by name and date.</summary>
    public IReadOnlyList<NeonPricePlan> Plans { get; }

    /// <summary>The prices of <paramref name="plan"/> on <paramref name="day"/>.</summary>
    public NeonPricePlan For(string plan, DateOnly day)
    {
        var name = Normalize(plan);
        var candidates = Plans.Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (candidates.Count == 0)
        {
            throw new PgOptimizerConfigurationException($"No prices for the plan '{plan}'; the price table has {string.Join(", ", Plans.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase))}. Pass --plan with one of those or add the plan to the prices file.");
        }

        return candidates.LastOrDefault(p => p.From <= day) ?? candidates[0];
    }

    /// <summary>Whether the table prices <paramref name="plan"/>.</summary>
    public bool Has(string? plan) => plan is not null && Plans.Any(p => string.Equals(p.Name, Normalize(plan), StringComparison.OrdinalIgnoreCase));

    /// <summary>Neon names plans in the history with suffixes (launch_v3, scale_2025); the table by their family.</summary>
    public static string Normalize(string plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var p = plan.Trim().ToLowerInvariant();
        foreach (var family in new[] { "launch", "scale", "business", "agent", "enterprise", "free" })
        {
            if (p.StartsWith(family, StringComparison.Ordinal))
            {
                return family;
            }
        }

        return p;
    }

    /// <summary>The prices shipped with the library (Neon's plans page, 2026).</summary>
    public static NeonPriceTable Default()
    {
        using var stream = typeof(NeonPriceTable).Assembly.GetManifestResourceStream("PgOptimizer.Cost.neon-prices.json")
            ?? throw new InvalidOperationException("The embedded price table is missing.");
        return Load(stream, "the built-in price table");
    }

    /// <summary>Reads a prices file ({"plans": [...]}).</summary>
    public static NeonPriceTable Load(Stream json, string source)
    {
        try
        {
            var file = JsonSerializer.Deserialize<PriceFile>(json, Json) ?? new PriceFile();
            if (file.Plans.Count == 0)
            {
                throw new PgOptimizerConfigurationException($"{source} has no plans: write {{\"plans\": [{{\"name\": \"launch\", \"from\": \"2026-01-01\", \"computeUnitHour\": 0.106, …}}]}}.");
            }

            return new NeonPriceTable(file.Plans);
        }
        catch (JsonException ex)
        {
            throw new PgOptimizerConfigurationException($"{source} is not a valid prices file: {ex.Message}");
        }
    }

    private sealed class PriceFile
    {
        [JsonPropertyName("plans")]
        public List<NeonPricePlan> Plans { get; set; } = [];
    }
}
