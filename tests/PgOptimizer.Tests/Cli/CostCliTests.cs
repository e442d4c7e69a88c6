using System.Text.Json;
using PgOptimizer.Samples.NeonApi;
using PgOptimizer.Tests.Cost;

namespace PgOptimizer.Tests.Cli;

/// <summary>pgopt cost against the local double of Neon's API.</summary>
public sealed class CostCliTests : IAsyncLifetime
{
    private const string Key = "napi_cost-cli-secret-4c1d";
    private NeonDoubleHost _neon = null!;

    public async Task InitializeAsync() => _neon = await NeonDoubleHost.StartAsync(o => o.ApiKey = Key);

    public async Task DisposeAsync() => await _neon.DisposeAsync();

    private static Dictionary<string, string?> Env(string? key = Key) => new() { ["NEON_API_KEY"] = key, ["NEON_PROJECT_ID"] = NeonFixture.ProjectId };

    private string[] Args(params string[] args) => [.. args, "--neon-api-url", _neon.BaseUrl, "--as-of", "2026-11-20T12:00:00Z"];

    [Fact]
    public async Task The_report_prints_the_savings_and_writes_json_and_markdown()
    {
        var md = Path.Combine(Path.GetTempPath(), $"pgopt-cost-{Guid.NewGuid():N}.md");
        try
        {
            var table = await PgoptProcess.RunAsync(Env(), Args("cost", "report", "--markdown", md));
            Assert.True(table.ExitCode == 0, table.All);
            Assert.Contains("Lower the 'main' compute's autoscaling minimum from 4 to 2 CU", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("$154.76", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("| # | Action |", await File.ReadAllTextAsync(md), StringComparison.Ordinal);

            var json = await PgoptProcess.RunAsync(Env(), Args("cost", "report", "--json"));
            Assert.True(json.ExitCode == 0, json.All);
            using var doc = JsonDocument.Parse(json.Stdout);
            var summary = doc.RootElement.GetProperty("summary");
            Assert.True(summary.GetProperty("totalSavingsOpportunity").GetDecimal() > 150m);
            foreach (var part in new[] { "computeOptimizations", "branchOptimizations", "storageOptimizations", "queryOptimizations", "budgetAnalysis", "actionPlan" })
            {
                Assert.True(doc.RootElement.TryGetProperty(part, out _), part);
            }

            Assert.DoesNotContain(Key, table.All + json.All, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(md);
        }
    }

    [Fact]
    public async Task Quick_wins_change_nothing_without_apply_and_exactly_the_listed_calls_with_it()
    {
        var dry = await PgoptProcess.RunAsync(Env(), Args("cost", "quick-wins", "--json"));
        Assert.True(dry.ExitCode == 0, dry.All);
        Assert.DoesNotContain(_neon.Calls, c => c.Method != "GET");
        using var listed = JsonDocument.Parse(dry.Stdout);
        var calls = listed.RootElement.GetProperty("quickWins").EnumerateArray()
            .Select(w => w.GetProperty("action").GetProperty("call"))
            .Select(c => (c.GetProperty("method").GetString()!, "/api/v2/" + c.GetProperty("path").GetString(), c.GetProperty("body").GetString()))
            .OrderBy(c => c.Item2).ToList();
        Assert.Equal(4, calls.Count);

        var record = Path.Combine(Path.GetTempPath(), $"pgopt-quick-wins-{Guid.NewGuid():N}.json");
        try
        {
            var apply = await PgoptProcess.RunAsync(Env(), Args("cost", "quick-wins", "--apply", "--record", record));
            Assert.True(apply.ExitCode == 0, apply.All);
            Assert.Contains("applied", apply.Stdout, StringComparison.Ordinal);
            var changing = _neon.Calls.Where(c => c.Method != "GET").Select(c => (c.Method, c.Path, c.Body)).OrderBy(c => c.Path).ToList();
            Assert.Equal(calls, changing);
            var recorded = await File.ReadAllTextAsync(record);
            Assert.Contains("\"undo\"", recorded, StringComparison.Ordinal);
            Assert.Contains("suspend_timeout_seconds\\u0022:-1", recorded.Replace("\\\"", "\\u0022", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(record);
        }
    }

    [Fact]
    public async Task A_bad_key_exits_1_with_a_clear_error_and_without_the_key()
    {
        const string wrong = "napi_wrong-key-that-must-not-leak-99";
        var r = await PgoptProcess.RunAsync(Env(wrong), Args("cost", "report"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("rejected the API key", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, r.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NEON_MONTHLY_BUDGET", "lots")]
    [InlineData("--budget", "-20")]
    [InlineData("--plan", "platinum")]
    [InlineData("--project", "Not_A_Project")]
    [InlineData("--neon-api-url", "ftp://example")]
    [InlineData("--as-of", "yesterday-ish")]
    public async Task Bad_input_exits_2_before_any_call(string where, string value)
    {
        var env = Env();
        string[] args = ["cost", "budget", "--neon-api-url", _neon.BaseUrl];
        if (where.StartsWith("--", StringComparison.Ordinal))
        {
            args = where == "--neon-api-url" ? ["cost", "budget", where, value] : [.. args, where, value];
        }
        else
        {
            env[where] = value;
        }

        var r = await PgoptProcess.RunAsync(env, args);
        Assert.True(r.ExitCode == 2, r.All);
        Assert.StartsWith("error:", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_neon.Calls, c => c.Path.Contains("consumption", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nothing_to_analyse_says_what_to_pass()
    {
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["NEON_API_KEY"] = Key }, "cost", "report");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--project", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_budget_command_exits_1_when_the_forecast_passes_the_budget()
    {
        var over = await PgoptProcess.RunAsync(Env(), Args("cost", "budget", "--budget", "300"));
        Assert.Equal(1, over.ExitCode);
        Assert.Contains("critical", over.Stdout, StringComparison.Ordinal);
        var under = await PgoptProcess.RunAsync(Env(), Args("cost", "budget", "--budget", "1000"));
        Assert.Equal(0, under.ExitCode);
    }
}
