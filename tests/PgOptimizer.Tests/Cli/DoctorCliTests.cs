using Npgsql;
using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class DoctorCliTests
{
    private static JsonElement Check(JsonElement doc, string name) =>
        doc.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Doctor_reports_a_ready_local_setup_as_json()
    {
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?>
        {
            ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection,
            ["PGOPT_REPLICA_CONNECTIONS"] = TestServices.ReplicaConnection,
            ["REDIS_URL"] = TestServices.RedisUrl,
        }, "doctor", "--json");

        Assert.True(r.ExitCode == 0, r.All);
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.True(doc.GetProperty("healthy").GetBoolean());
        Assert.StartsWith("PostgreSQL 15", doc.GetProperty("server").GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.False(doc.GetProperty("server").GetProperty("isNeon").GetBoolean());
        Assert.Equal("ok", Check(doc, "pg_stat_statements").GetProperty("status").GetString());
        Assert.Equal("ok", Check(doc, "hypopg").GetProperty("status").GetString());
        Assert.Equal("ok", Check(doc, "pg_monitor").GetProperty("status").GetString());
        Assert.Equal("ok", Check(doc, "planner costs").GetProperty("status").GetString()); // scripts/services.sh sets random_page_cost 1.1
        Assert.Equal("ok", Check(doc, "replica1").GetProperty("status").GetString());
        Assert.Equal("ok", Check(doc, "redis").GetProperty("status").GetString());
        var replica = doc.GetProperty("replicas")[0];
        Assert.True(replica.GetProperty("inRecovery").GetBoolean());
        Assert.True(replica.GetProperty("lagBytes").GetInt64() >= 0);
        Assert.True(doc.GetProperty("redis").GetProperty("latencyMs").GetDouble() > 0);
        var password = PgOptimizer.Connections.ConnectionStringParser.Parse(TestServices.PrimaryConnection).Password!;
        Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_and_cache_stats_report_another_databases_cache_on_this_cache_key_prefix_lately()
    {
        var app = "doctor-scope-" + Guid.NewGuid().ToString("N")[..8];
        await using var redis = new PgOptimizer.Connections.RedisConnection(Microsoft.Extensions.Options.Options.Create(new PgOptimizer.Connections.RedisOptions { Url = TestServices.RedisUrl }));
        var db = (await redis.TryGetDatabaseAsync())!;
        var key = $"pgopt:{app}:cache:databases";
        var env = new Dictionary<string, string?>
        {
            ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection,
            ["REDIS_URL"] = TestServices.RedisUrl,
            ["PGOPT_APPLICATION"] = app,
        };
        try
        {
            // Only this database has used the prefix: fine.
            var own = PgOptimizer.Caching.DatabaseScope.Of(TestServices.PrimaryConnection)!;
            await db.HashSetAsync(key, own, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            var r = await PgoptProcess.RunAsync(env, "doctor", "--json");
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Equal("ok", Check(JsonDocument.Parse(r.Stdout).RootElement, "cache-prefix").GetProperty("status").GetString());

            // A preview branch's instance used it ten minutes ago.
            await db.HashSetAsync(key, "ep-preview-1/neondb", DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds());
            r = await PgoptProcess.RunAsync(env, "doctor", "--json");
            Assert.True(r.ExitCode == 0, r.All); // a warning, not a failure
            var check = Check(JsonDocument.Parse(r.Stdout).RootElement, "cache-prefix");
            Assert.Equal("warning", check.GetProperty("status").GetString());
            Assert.Contains("ep-preview-1/neondb (10 min ago)", check.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("Caching:KeyPrefix", check.GetProperty("fix").GetString(), StringComparison.Ordinal);

            r = await PgoptProcess.RunAsync(env, "cache", "stats", "--json");
            Assert.True(r.ExitCode == 0, r.All);
            var stats = JsonDocument.Parse(r.Stdout).RootElement;
            Assert.Equal(own, stats.GetProperty("database").GetString());
            Assert.Equal($"pgopt:{app}:cache:", stats.GetProperty("keyPrefix").GetString());
            var other = Assert.Single(stats.GetProperty("otherDatabases").EnumerateArray());
            Assert.Equal("ep-preview-1/neondb", other.GetProperty("database").GetString());
        }
        finally
        {
            await db.KeyDeleteAsync(key);
        }
    }

    [Fact]
    public async Task Doctor_exits_1_with_fixes_when_required_extensions_are_missing()
    {
        var db = new TempDatabase(); // a fresh database: no extensions installed
        await db.InitializeAsync();
        try
        {
            var r = await PgoptProcess.RunAsync(null, "doctor", "--connection", db.Connection);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("pg_stat_statements", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("CREATE EXTENSION pg_stat_statements", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("CREATE EXTENSION hypopg", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("Not ready", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("redis", r.Stdout, StringComparison.Ordinal); // not configured: info, not an error
        }
        finally
        {
            await db.DisposeAsync();
        }
    }

    [Fact]
    public async Task Doctor_warns_of_a_spinning_disks_random_page_cost_and_its_fix_clears_the_warning()
    {
        var db = new TempDatabase();
        await db.InitializeAsync();
        try
        {
            await using (var admin = Npgsql.NpgsqlDataSource.Create(TestServices.PrimaryFor("postgres")))
            await using (var cmd = admin.CreateCommand($"ALTER DATABASE \"{db.Name}\" SET random_page_cost = 4"))
            {
                await cmd.ExecuteNonQueryAsync();
            }

            var r = await PgoptProcess.RunAsync(null, "doctor", "--json", "--connection", db.Connection);
            var costs = Check(JsonDocument.Parse(r.Stdout).RootElement, "planner costs");
            Assert.True(costs.GetProperty("status").GetString() == "warning", r.All);
            Assert.Contains("random_page_cost 4 against seq_page_cost 1", costs.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("generic plan", costs.GetProperty("detail").GetString(), StringComparison.Ordinal);
            var fix = costs.GetProperty("fix").GetString()!;
            Assert.StartsWith($"ALTER DATABASE \"{db.Name}\" SET random_page_cost = 1.1;", fix, StringComparison.Ordinal);

            // The fix as given, run by the database's owner: new sessions plan with it, and the doctor agrees.
            await db.ExecAsync(fix[..(fix.IndexOf(';', StringComparison.Ordinal) + 1)]);
            NpgsqlConnection.ClearAllPools();
            r = await PgoptProcess.RunAsync(null, "doctor", "--json", "--connection", db.Connection);
            costs = Check(JsonDocument.Parse(r.Stdout).RootElement, "planner costs");
            Assert.True(costs.GetProperty("status").GetString() == "ok", r.All);
            Assert.Contains("random_page_cost 1.1", costs.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await db.DisposeAsync();
        }
    }

    [Fact]
    public async Task Doctor_warns_of_an_inactive_replication_slot_with_what_it_keeps_and_how_to_drop_it()
    {
        var slot = "pgopt_test_" + Guid.NewGuid().ToString("N")[..10];
        await using var admin = NpgsqlDataSource.Create(TestServices.PrimaryFor("postgres"));
        await using (var create = admin.CreateCommand("SELECT pg_create_physical_replication_slot($1, true)"))
        {
            create.Parameters.AddWithValue(slot);
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            var r = await PgoptProcess.RunAsync(null, "doctor", "--json", "--connection", TestServices.PrimaryConnection);
            Assert.True(r.ExitCode == 0, r.All); // a warning: ready all the same
            var slots = Check(JsonDocument.Parse(r.Stdout).RootElement, "replication slots");
            Assert.Equal("warning", slots.GetProperty("status").GetString());
            Assert.Contains($"{slot} (physical) keeps", slots.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("of WAL", slots.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains($"SELECT pg_drop_replication_slot('{slot}');", slots.GetProperty("fix").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await using var drop = admin.CreateCommand("SELECT pg_drop_replication_slot($1)");
            drop.Parameters.AddWithValue(slot);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Doctor_exits_1_and_hides_the_password_when_the_server_is_unreachable()
    {
        var r = await PgoptProcess.RunAsync(null, "doctor", "--json", "--connection", "postgresql://app:TopSecret99@127.0.0.1:1/app?connect_timeout=2");
        Assert.Equal(1, r.ExitCode);
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.False(doc.GetProperty("healthy").GetBoolean());
        Assert.Equal("error", Check(doc, "connection").GetProperty("status").GetString());
        Assert.Contains("app@127.0.0.1:1/app", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("TopSecret99", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_warns_but_passes_when_redis_is_down()
    {
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["REDIS_URL"] = "redis://:RedisPw1@127.0.0.1:1/0" },
            "doctor", "--json", "--connection", TestServices.PrimaryConnection);
        Assert.True(r.ExitCode == 0, r.All);
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("warning", Check(doc, "redis").GetProperty("status").GetString());
        Assert.DoesNotContain("RedisPw1", r.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://u:Hidden123@h:notaport/db", "port 'notaport'")]
    [InlineData("postgresql://u:Hidden123@h/db?sslmode=bogus", "sslmode=bogus")]
    [InlineData("Host=h;Password=Hidden123;Bogus=1", "bogus")]
    public async Task Malformed_connection_exits_2_naming_the_bad_part(string connection, string fragment)
    {
        var r = await PgoptProcess.RunAsync(null, "doctor", "--connection", connection);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(fragment, r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Hidden123", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_connection_exits_2_and_says_how_to_give_one()
    {
        var r = await PgoptProcess.RunAsync(null, "doctor");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("PGOPT_CONNECTION", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("seed", "--scale", "lots")]
    [InlineData("seed", "--scale", "0")]
    [InlineData("workload", "run", "--duration", "forever")]
    [InlineData("doctor", "--no-such-flag")]
    [InlineData("no-such-command")]
    public async Task Bad_arguments_exit_2(params string[] args)
    {
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = "postgresql://u@127.0.0.1:1/db" }, args);
        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("error", r.Stderr, StringComparison.OrdinalIgnoreCase);
    }
}
