using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Cost;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cost;

/// <summary>docs/cost.md works the double's report out by hand; every figure of its table equals the report's.</summary>
public sealed partial class DocumentedExampleTests
{
    private static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    [GeneratedRegex(@"^\| [^|]+ \| \$(?<value>[\d,]+\.\d\d) \| `(?<field>[^`]+)` \|$", RegexOptions.Multiline)]
    private static partial Regex Row();

    [Fact]
    public async Task Every_figure_worked_out_in_the_docs_is_the_reports()
    {
        var doc = await File.ReadAllTextAsync(Path.Combine(TestServices.RepoRoot, "docs", "cost.md"));
        var rows = Row().Matches(doc).Select(m => (Field: m.Groups["field"].Value, Value: decimal.Parse(m.Groups["value"].Value, NumberStyles.Number, CultureInfo.InvariantCulture))).ToList();
        Assert.True(rows.Count >= 15, $"the table of docs/cost.md has {rows.Count} rows");

        await using var neon = await NeonDoubleHost.StartAsync();
        await using var sp = neon.Services(o => o.MonthlyBudget = 300);
        var report = await sp.GetRequiredService<NeonCostOptimizer>().GenerateReportAsync();
        var json = JsonNode.Parse(JsonSerializer.Serialize(report, CamelCase))!;
        foreach (var (field, value) in rows)
        {
            var actual = field.StartsWith("action:", StringComparison.Ordinal)
                ? report.ActionPlan.Single(a => a.Id == field["action:".Length..]).MonthlySavings
                : field.Split('.').Aggregate(json, (node, part) => node[part]!).GetValue<decimal>();
            Assert.True(value == actual, $"{field}: the docs say {value}, the report {actual}");
        }
    }
}
