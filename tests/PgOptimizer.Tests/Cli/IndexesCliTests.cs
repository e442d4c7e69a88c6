using System.Text.Json;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class IndexesCliTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await PitchesDemo.SeedAsync(_db.DataSource, new SeedOptions { Scale = 0.001 });
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    private Dictionary<string, string?> Env => new() { ["PGOPT_CONNECTION"] = _db.Connection };

    [Fact]
    public async Task Dry_run_prints_sql_as_json_then_apply_builds_and_plan_is_empty()
    {
        var dry = await PgoptProcess.RunAsync(Env, "indexes", "apply", "--catalog", "demo", "--dry-run", "--json");
        Assert.True(dry.ExitCode == 0, dry.All);
        var doc = JsonDocument.Parse(dry.Stdout).RootElement;
        Assert.True(doc.GetProperty("dryRun").GetBoolean());
        Assert.Equal(29, doc.GetProperty("sql").GetArrayLength());
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_%'"));

        var apply = await PgoptProcess.RunAsync(Env, "indexes", "apply", "--catalog", "demo");
        Assert.True(apply.ExitCode == 0, apply.All);
        Assert.Contains("29 index(es) built", apply.Stdout, StringComparison.Ordinal);

        var plan = await PgoptProcess.RunAsync(Env, "indexes", "plan", "--catalog", "demo", "--json");
        Assert.True(JsonDocument.Parse(plan.Stdout).RootElement.GetProperty("noOp").GetBoolean());
    }

    [Fact]
    public async Task Health_fails_on_warning_or_critical_as_asked()
    {
        try
        {
            await _db.ExecAsync("CREATE UNIQUE INDEX CONCURRENTLY broken ON users (tenant_id)");
        }
        catch (Npgsql.PostgresException)
        {
        }

        var critical = await PgoptProcess.RunAsync(Env, "indexes", "health", "--json");
        Assert.Equal(1, critical.ExitCode); // default --fail-on critical, and an invalid index is critical
        Assert.Equal("critical", JsonDocument.Parse(critical.Stdout).RootElement.GetProperty("status").GetString());

        await _db.ExecAsync("DROP INDEX broken");
        var ok = await PgoptProcess.RunAsync(Env, "indexes", "health");
        Assert.Equal(0, ok.ExitCode); // warnings only (e.g. unindexed foreign keys) pass the default
        var strict = await PgoptProcess.RunAsync(Env, "indexes", "health", "--fail-on", "warning");
        Assert.Equal(1, strict.ExitCode);
    }

    [Theory]
    [InlineData("indexes", "apply", "--catalog", "/nonexistent/catalog.json")]
    [InlineData("indexes", "health", "--fail-on", "sometimes")]
    [InlineData("indexes", "advise", "--top", "0")]
    [InlineData("indexes", "plan")]
    [InlineData("deploy", "--test-only")]
    public async Task Bad_input_exits_2(params string[] args)
    {
        var r = await PgoptProcess.RunAsync(Env, args);
        Assert.True(r.ExitCode == 2, r.All);
    }

    [Fact]
    public async Task A_catalog_for_a_partitioned_table_is_refused_clearly()
    {
        await _db.ExecAsync("CREATE TABLE events_p (id bigint, at timestamptz) PARTITION BY RANGE (at); CREATE TABLE events_p_2026 PARTITION OF events_p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')");
        var file = Path.Combine(Path.GetTempPath(), $"catalog-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"indexes":[{"name":"idx_events_p_at","table":"events_p","columns":["at"]}]}""");
        try
        {
            var r = await PgoptProcess.RunAsync(Env, "indexes", "apply", "--catalog", file);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("partitioned", r.Stderr, StringComparison.Ordinal);
            Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_events_p_at'"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
