using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;
using PgOptimizer.Tests.Cli;
using PgOptimizer.Tests.Infrastructure;
using PgOptimizer.Workload;

namespace PgOptimizer.Tests.Reliability;

/// <summary>Inputs that used to leak a secret, be misread or end in the wrong exit code.</summary>
public sealed class InputHardeningTests
{
    [Theory]
    [InlineData("postgresql://alice:Ab/cd3fGh9xyz@db.example.com:5432/app", "password", "'/'", "%2F")]
    [InlineData("postgresql://alice:Ab?cd3fGh9xyz@db.example.com:5432/app?sslmode=require", "password", "'?'", "%3F")]
    [InlineData("postgresql://alice:Ab#cd3fGh9xyz@db.example.com/app", "password", "'#'", "%23")]
    [InlineData("postgresql://al/ice:Abcd3fGh9xyz@db.example.com/app", "user name", "'/'", "%2F")]
    public void A_reserved_character_in_the_user_info_gets_a_hint_and_no_part_of_it_is_shown(string uri, string part, string character, string encoded)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => ConnectionStringParser.Parse(uri));
        Assert.Contains(part, ex.Message, StringComparison.Ordinal);
        Assert.Contains(character, ex.Message, StringComparison.Ordinal);
        Assert.Contains(encoded, ex.Message, StringComparison.Ordinal);
        foreach (var secret in new[] { "alice", "al/ice", "Ab", "cd3fGh9xyz", "Abcd3fGh9xyz" })
        {
            Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_at_sign_in_a_password_parses_and_one_in_a_query_value_is_percent_encoded()
    {
        var b = ConnectionStringParser.Parse("postgresql://alice:p@ss@db.example.com:5432/app?application_name=api");
        Assert.Equal(("alice", "p@ss", "db.example.com", 5432, "app"), (b.Username, b.Password, b.Host, b.Port, b.Database));
        var c = ConnectionStringParser.Parse("postgresql://alice:pw@db.example.com/app?application_name=a%40b");
        Assert.Equal("a@b", c.ApplicationName);
    }

    [Fact]
    public void Neons_connect_timeout_applies_unless_the_string_sets_that_very_setting()
    {
        var withCommandTimeout = PgConnectionManager.BuildSettings("Host=ep-x-1.us-east-2.aws.neon.tech;Database=d;Username=u;Password=TimeoutTimeout;Command Timeout=5", new ConnectionOptions(), "test");
        Assert.Equal(ConnectionDefaults.NeonConnectTimeoutSeconds, withCommandTimeout.Timeout);
        var withTimeout = PgConnectionManager.BuildSettings("Host=ep-x-1.us-east-2.aws.neon.tech;Database=d;Timeout=9", new ConnectionOptions(), "test");
        Assert.Equal(9, withTimeout.Timeout);
    }

    [Fact]
    public void A_replica_list_keeps_key_value_strings_with_spaces_whole()
    {
        var list = ConnectionsServiceCollectionExtensions.SplitList(
            "Host=r1;Database=app;SSL Mode=Require;Trust Server Certificate=true Host=r2;Database=app;SSL Mode=Require postgresql://u@r3/app#name=eu\npostgresql://u@r4/app").ToList();
        Assert.Equal(["Host=r1;Database=app;SSL Mode=Require;Trust Server Certificate=true", "Host=r2;Database=app;SSL Mode=Require", "postgresql://u@r3/app#name=eu", "postgresql://u@r4/app"], list);
        Assert.All(list.Take(2), s => Assert.Equal(SslMode.Require, ConnectionStringParser.Parse(s).SslMode));
    }

    [Theory]
    [InlineData("\"unique\": \"true\"", "\"unique\" must be true or false")]
    [InlineData("\"priority\": 1.5", "\"priority\" must be a whole number")]
    [InlineData("\"priority\": \"high\"", "\"priority\" must be a whole number")]
    [InlineData("\"where\": 5", "\"where\" must be a string")]
    public void A_catalog_value_of_the_wrong_type_is_refused_naming_the_entry(string property, string expected)
    {
        var json = $$"""{ "indexes": [ { "name": "idx_users_email", "table": "users", "columns": ["email"], {{property}} } ] }""";
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => IndexCatalog.Parse(json));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("idx_users_email", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT 1", true)]
    [InlineData("SELECT 1;", true)]
    [InlineData("SELECT 1; -- done\n", true)]
    [InlineData("SELECT ';' AS semi, \"a;b\" FROM t WHERE x = $1", true)]
    [InlineData("SELECT $body$ a; b $body$, $$;$$", true)]
    [InlineData("SELECT 1 /* ; */", true)]
    [InlineData("SELECT 1; COMMIT; DROP TABLE x", false)]
    [InlineData("SELECT 1; SELECT 2", false)]
    [InlineData("SELECT 'it''s'; DROP TABLE x", false)]
    public void One_statement_is_told_from_several(string sql, bool one) => Assert.Equal(one, SqlStatements.IsSingle(sql));

    [Fact]
    public void Upstash_rest_variables_map_to_the_same_databases_tls_endpoint_and_redis_url_wins()
    {
        Assert.Equal("rediss://default:tok%2Fen@eu1-fine-cat-12345.upstash.io:6379", RedisOptions.FromUpstashRest("https://eu1-fine-cat-12345.upstash.io", "tok/en"));
        Assert.Null(RedisOptions.FromUpstashRest("https://x.upstash.io", null));
        var bad = Assert.Throws<PgOptimizerConfigurationException>(() => RedisOptions.FromUpstashRest("redis://x.upstash.io", "secret-token"));
        Assert.DoesNotContain("secret-token", bad.Message, StringComparison.Ordinal);

        var upstash = new Dictionary<string, string?>
        {
            ["PGOPT_CONNECTION"] = "postgresql://u@h/db",
            ["UPSTASH_REDIS_REST_URL"] = "https://eu1-fine-cat-12345.upstash.io",
            ["UPSTASH_REDIS_REST_TOKEN"] = "AX1tok",
        };
        Assert.Equal("rediss://default:AX1tok@eu1-fine-cat-12345.upstash.io:6379", CliRuntime.Resolve(new DatabaseSettings(), upstash).Redis);
        upstash["REDIS_URL"] = "redis://127.0.0.1:6379/0";
        Assert.Equal("redis://127.0.0.1:6379/0", CliRuntime.Resolve(new DatabaseSettings(), upstash).Redis);
        var parsed = RedisOptions.ParseUrl(RedisOptions.FromUpstashRest("https://eu1-fine-cat-12345.upstash.io", "AX1tok")!, TimeSpan.FromSeconds(2));
        Assert.True(parsed.Ssl);
        Assert.Equal("AX1tok", parsed.Password);
    }

    [Fact]
    public void A_client_side_failure_is_named_for_what_it_was()
    {
        Assert.StartsWith("the database did not answer in time", ExitCodes.Describe(new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"))), StringComparison.Ordinal);
        Assert.StartsWith("could not reach the database", ExitCodes.Describe(new NpgsqlException("Failed to connect to 127.0.0.1:1", new System.Net.Sockets.SocketException(111))), StringComparison.Ordinal);
        Assert.StartsWith("the database connection was lost", ExitCodes.Describe(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())), StringComparison.Ordinal);
        Assert.StartsWith("no database connection came free", ExitCodes.Describe(new NpgsqlException("The connection pool has been exhausted, either raise 'Max Pool Size' (currently 1) or 'Timeout' (currently 1 seconds) in your connection string.", new TimeoutException())), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("loadtest", "--duration", "99999999999999h")]
    [InlineData("loadtest", "--duration", "1e308s")]
    [InlineData("indexes", "advise", "--sample", "SELECT 1; COMMIT; DROP TABLE x")]
    [InlineData("indexes", "advise", "--save", "/no/such/folder/catalog.json")]
    public async Task Bad_input_exits_2_before_any_work(params string[] args)
    {
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection }, args);
        Assert.True(r.ExitCode == 2, r.All);
        Assert.StartsWith("error: ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_appsettings_value_exits_2_naming_it()
    {
        var dir = Directory.CreateTempSubdirectory("pgopt-config-");
        try
        {
            var file = Path.Combine(dir.FullName, "appsettings.json");
            await File.WriteAllTextAsync(file, """{ "PgOptimizer": { "Connections": { "MaxPoolSize": "lots" } } }""");
            var r = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection }, "doctor", "--config", file);
            Assert.True(r.ExitCode == 2, r.All);
            Assert.Contains("MaxPoolSize", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task Cache_triggers_find_tables_as_sql_names_them()
    {
        await using var m = new ManagedDatabase(db => db.ExecAsync("CREATE TABLE items (id int PRIMARY KEY); CREATE TABLE \"Orders\" (id int PRIMARY KEY)"));
        await m.InitializeAsync();
        var triggers = new CacheTriggers(m.Connections, Microsoft.Extensions.Options.Options.Create(new CacheOptions()));
        Assert.Equal("items", (await triggers.InstallAsync("Items")).Table.Split('.')[^1]);        // unquoted: folded, as SQL does
        Assert.Equal("Orders", (await triggers.InstallAsync("\"Orders\"")).Table.Split('.')[^1]); // quoted: as written
        Assert.Equal("Orders", (await triggers.InstallAsync("public.Orders")).Table.Split('.')[^1]); // stored name as written
        var missing = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => triggers.InstallAsync("nope"));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }
}
