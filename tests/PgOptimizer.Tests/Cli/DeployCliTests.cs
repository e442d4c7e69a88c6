using System.Diagnostics;
using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class DeployCliTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        var seed = await PgoptProcess.RunAsync(Env, "seed", "--scale", "0.001", "--json");
        Assert.True(seed.ExitCode == 0, seed.All);
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    private Dictionary<string, string?> Env => new() { ["PGOPT_CONNECTION"] = _db.Connection };

    private Task<long> IndexCountAsync() => _db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'");

    [Fact]
    public async Task Test_only_changes_nothing_and_deploy_twice_is_idempotent()
    {
        var before = await IndexCountAsync();
        var test = await PgoptProcess.RunAsync(Env, "deploy", "--catalog", "demo", "--test-only", "--json");
        Assert.True(test.ExitCode == 0, test.All);
        var t = JsonDocument.Parse(test.Stdout).RootElement;
        Assert.True(t.GetProperty("testOnly").GetBoolean());
        Assert.True(t.GetProperty("changes").GetArrayLength() > 20); // the demo catalog, none built yet
        Assert.Equal(before, await IndexCountAsync());

        var first = await PgoptProcess.RunAsync(Env, "deploy", "--catalog", "demo", "--json");
        Assert.True(first.ExitCode == 0, first.All);
        var built = await IndexCountAsync();
        Assert.Equal(before + t.GetProperty("changes").GetArrayLength(), built);

        var second = await PgoptProcess.RunAsync(Env, "deploy", "--catalog", "demo", "--json");
        Assert.True(second.ExitCode == 0, second.All);
        Assert.Equal(0, JsonDocument.Parse(second.Stdout).RootElement.GetProperty("changes").GetArrayLength());
        Assert.Equal(built, await IndexCountAsync());
    }

    [Fact]
    public async Task The_spec_script_wraps_deploy_and_a_bad_catalog_changes_nothing()
    {
        var before = await IndexCountAsync();
        var catalog = Path.Combine(Path.GetTempPath(), $"pgopt-bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(catalog, """{ "indexes": [ { "name": "idx_bad", "table": "pitches", "columns": ["no_such_column"] } ] }""");
        try
        {
            var psi = new ProcessStartInfo("bash", [Path.Combine(TestServices.RepoRoot, "scripts", "deploy-production-optimized.sh"), "--catalog", catalog, "--json"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.Environment["PGOPT_CONNECTION"] = _db.Connection;
            using var p = Process.Start(psi)!;
            var stdout = await p.StandardOutput.ReadToEndAsync();
            var stderr = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode is 1 or 2, stdout + stderr);
            Assert.Contains("no_such_column", stdout + stderr, StringComparison.Ordinal);
            Assert.Equal(before, await IndexCountAsync());
        }
        finally
        {
            File.Delete(catalog);
        }
    }
}
