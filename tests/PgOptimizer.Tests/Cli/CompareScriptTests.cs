using System.Diagnostics;
using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

/// <summary>
/// scripts/compare.sh: refuses what it cannot honour before it seeds anything, and a real round
/// reports both executors' figures and the ratios computed from them.
/// </summary>
public sealed class CompareScriptTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(TestServices.RepoRoot, "scripts", "compare.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // only the connection settings the test gives (not the suite's replicas of another database)
        foreach (var name in new[] { "PGOPT_CONNECTION", "NEON_DATABASE_URL", "PGOPT_REPLICA_CONNECTIONS", "REDIS_URL" })
        {
            psi.Environment.Remove(name);
        }

        foreach (var (name, value) in env)
        {
            if (value is not null)
            {
                psi.Environment[name] = value;
            }
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Theory]
    [InlineData("--rounds 0", "--rounds must be a whole number")]
    [InlineData("--scale big", "--scale must be a number")]
    [InlineData("--raw", "the load test's arguments go after --")]
    [InlineData("-- --raw --duration 2s", "--raw is set by this script")]
    [InlineData("-- --json", "--json is set by this script")]
    [InlineData("-- --rps 100", "--rps runs an open loop")]
    [InlineData("--toolkit --connection=x", "set PGOPT_CONNECTION and REDIS_URL instead")]
    public async Task Bad_arguments_exit_2_before_anything_runs(string args, string message)
    {
        var before = await CountPitchesAsync();
        var (exit, stdout, stderr) = await RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = _db.Connection }, args.Split(' '));
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal(before, await CountPitchesAsync()); // nothing seeded
    }

    [Fact]
    public async Task Without_a_connection_it_says_how_to_set_one_and_exits_2()
    {
        var (exit, _, stderr) = await RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = null, ["NEON_DATABASE_URL"] = null }, "--no-build");
        Assert.Equal(2, exit);
        Assert.Contains("set PGOPT_CONNECTION", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_round_runs_both_executors_on_fresh_data_and_reports_their_ratios()
    {
        var env = new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = _db.Connection, ["REDIS_URL"] = TestServices.RedisUrl };
        var (exit, stdout, stderr) = await RunAsync(env, "--rounds", "1", "--scale", "0.001", "--no-build", "--json", "--toolkit", "--cache-warmup 200",
            "--", "--concurrency", "2", "--duration", "2s", "--warmup", "1s");
        Assert.True(exit == 0, $"exit {exit}: {stdout}{stderr}");
        Assert.Contains("round 1/1, raw: seeding scale 0.001", stderr, StringComparison.Ordinal);

        var summary = JsonDocument.Parse(stdout).RootElement;
        var round = Assert.Single(summary.GetProperty("rounds").EnumerateArray());
        Assert.Equal("raw", round.GetProperty("first").GetString()); // odd rounds start with raw
        var raw = round.GetProperty("raw");
        var toolkit = round.GetProperty("toolkit");
        foreach (var run in new[] { raw, toolkit })
        {
            Assert.True(run.GetProperty("requestsPerSecond").GetDouble() > 0, run.ToString());
            Assert.Equal(0, run.GetProperty("errors").GetInt64());
            Assert.True(run.GetProperty("clientMicrosPerRequest").GetDouble() > 0, run.ToString());
            Assert.True(run.GetProperty("databaseMicrosPerRequest").GetDouble() > 0, run.ToString());
        }

        Assert.Equal(JsonValueKind.Null, raw.GetProperty("cacheHitRate").ValueKind); // raw has no cache
        Assert.InRange(toolkit.GetProperty("cacheHitRate").GetDouble(), 0.0, 1.0);
        var ratio = round.GetProperty("throughputRatio").GetDouble();
        Assert.Equal(toolkit.GetProperty("requestsPerSecond").GetDouble() / raw.GetProperty("requestsPerSecond").GetDouble(), ratio, 9);
        Assert.Equal(ratio, summary.GetProperty("throughputRatio").GetProperty("median").GetDouble(), 9);
        Assert.Equal(
            toolkit.GetProperty("clientMicrosPerRequest").GetDouble() / raw.GetProperty("clientMicrosPerRequest").GetDouble(),
            round.GetProperty("clientCpuRatio").GetDouble(),
            9);
        Assert.Equal("--concurrency 2 --duration 2s --warmup 1s", summary.GetProperty("loadTestArguments").GetString());
        Assert.True(await CountPitchesAsync() > 0); // the demo data the runs used
    }

    [Fact]
    public async Task Before_must_name_another_checkout_and_is_refused_with_exit_2_before_anything_runs()
    {
        var before = await CountPitchesAsync();
        var env = new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = _db.Connection };
        var (exit, stdout, stderr) = await RunAsync(env, "--no-build", "--before", Path.Combine(Path.GetTempPath(), "no-such-checkout-" + Guid.NewGuid().ToString("N")));
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Contains("not a checkout of this repository", stderr, StringComparison.Ordinal);

        (exit, stdout, stderr) = await RunAsync(env, "--no-build", "--before", TestServices.RepoRoot);
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Contains("names this checkout itself", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await CountPitchesAsync()); // nothing seeded
    }

    [Fact]
    public async Task A_round_with_a_build_before_runs_three_executors_and_reports_after_over_before()
    {
        // another checkout whose CLI is this one's build: the project file and the build output, linked
        var checkout = Directory.CreateTempSubdirectory("pgopt-before-");
        try
        {
            var cli = Path.Combine(checkout.FullName, "src", "PgOptimizer.Cli");
            Directory.CreateDirectory(Path.Combine(cli, "bin", "Release"));
            var real = Path.Combine(TestServices.RepoRoot, "src", "PgOptimizer.Cli");
            File.CreateSymbolicLink(Path.Combine(cli, "PgOptimizer.Cli.csproj"), Path.Combine(real, "PgOptimizer.Cli.csproj"));
            Directory.CreateSymbolicLink(Path.Combine(cli, "bin", "Release", "net10.0"), Path.Combine(real, "bin", "Release", "net10.0"));

            var env = new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = _db.Connection, ["REDIS_URL"] = TestServices.RedisUrl };
            var (exit, stdout, stderr) = await RunAsync(env, "--rounds", "1", "--scale", "0.001", "--no-build", "--json", "--before", checkout.FullName,
                "--toolkit", "--cache-warmup 200", "--", "--concurrency", "2", "--duration", "2s", "--warmup", "1s");
            Assert.True(exit == 0, $"exit {exit}: {stdout}{stderr}");
            Assert.Contains("round 1/1, before: seeding scale 0.001", stderr, StringComparison.Ordinal);

            var summary = JsonDocument.Parse(stdout).RootElement;
            var round = Assert.Single(summary.GetProperty("rounds").EnumerateArray());
            Assert.Equal(new[] { "raw", "before", "toolkit" }, round.GetProperty("order").EnumerateArray().Select(e => e.GetString()).ToArray());
            var before = round.GetProperty("before");
            var toolkit = round.GetProperty("toolkit");
            Assert.True(before.GetProperty("requestsPerSecond").GetDouble() > 0, before.ToString());
            Assert.Equal(0, before.GetProperty("errors").GetInt64());
            Assert.InRange(before.GetProperty("cacheHitRate").GetDouble(), 0.0, 1.0); // the toolkit's arguments, its cache
            Assert.Equal(
                toolkit.GetProperty("requestsPerSecond").GetDouble() / before.GetProperty("requestsPerSecond").GetDouble(),
                round.GetProperty("afterBeforeThroughputRatio").GetDouble(),
                9);
            Assert.Equal(
                toolkit.GetProperty("clientMicrosPerRequest").GetDouble() / before.GetProperty("clientMicrosPerRequest").GetDouble(),
                summary.GetProperty("afterBeforeClientCpuRatio").GetProperty("median").GetDouble(),
                9);
            Assert.Equal(checkout.FullName, summary.GetProperty("before").GetString());
        }
        finally
        {
            checkout.Delete(recursive: true);
        }
    }

    private async Task<long> CountPitchesAsync()
    {
        await using var conn = new Npgsql.NpgsqlConnection(_db.Connection);
        await conn.OpenAsync();
        await using var exists = new Npgsql.NpgsqlCommand("SELECT to_regclass('public.pitches') IS NOT NULL", conn);
        if (!(bool)(await exists.ExecuteScalarAsync())!)
        {
            return 0;
        }

        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pitches", conn);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
