using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.LoadTesting;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Connections;

/// <summary>
/// Connections of the manager's calls go back to the pool unreset unless the call changed its
/// session; a pool of one connection makes every call land on the same server session.
/// </summary>
public sealed class SessionResetTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        // A session change the SQL of the call cannot show: the function sets it inside the server.
        await _db.ExecAsync("CREATE FUNCTION remember(v text) RETURNS text LANGUAGE sql AS $$ SELECT set_config('pgopt.remembered', v, false) $$");
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    private PgConnectionManager Manager(SessionResetMode mode = SessionResetMode.WhenChanged) =>
        new(Options.Create(new ConnectionOptions
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(_db.Connection).ConnectionString) { MaxPoolSize = 1 }.ConnectionString,
            SessionReset = mode,
        }));

    private static ValueTask<T> Scalar<T>(PgConnectionManager manager, string sql, PgCallOptions options = default) =>
        manager.ExecuteAsync(DbIntent.Write, sql, static async (conn, s, ct) =>
        {
            await using var cmd = new NpgsqlCommand(s, conn);
            return (T)(await cmd.ExecuteScalarAsync(ct))!;
        }, options);

    private static ValueTask<int> Pid(PgConnectionManager manager) => Scalar<int>(manager, "SELECT pg_backend_pid()");

    [Theory]
    [InlineData("SET pgopt.leak = 'yes'", "SELECT coalesce(current_setting('pgopt.leak', true), '')")]
    [InlineData("/* app */ SET SESSION search_path TO pg_catalog", "SELECT CASE WHEN current_setting('search_path') = 'pg_catalog' THEN 'yes' ELSE '' END")]
    [InlineData("CREATE TEMP TABLE scratch (x int)", "SELECT CASE WHEN to_regclass('pg_temp.scratch') IS NULL THEN '' ELSE 'yes' END")]
    [InlineData("SELECT pg_advisory_lock(4242)::text", "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) THEN 'yes' ELSE '' END")]
    [InlineData("SELECT set_config('pgopt.leak', 'yes', false)", "SELECT coalesce(current_setting('pgopt.leak', true), '')")]
    public async Task A_call_that_changes_its_session_hands_the_next_call_a_clean_one(string change, string probe)
    {
        await using var manager = Manager();
        var pid = await Pid(manager);
        await manager.ExecuteAsync(DbIntent.Write, change, static async (conn, s, ct) =>
        {
            await using var cmd = new NpgsqlCommand(s, conn);
            return await cmd.ExecuteNonQueryAsync(ct);
        });

        Assert.Equal(pid, await Pid(manager)); // the same server session
        Assert.Equal("", await Scalar<string>(manager, probe));
        Assert.Equal(1, manager.Primary.SessionResets);
    }

    [Fact]
    public async Task Other_calls_go_back_unreset_unless_they_ask()
    {
        await using var manager = Manager();
        var pid = await Pid(manager);
        await Scalar<string>(manager, "SELECT remember('kept')");
        // Not reset: Npgsql's own reset on return (RESET ALL) would have cleared the setting.
        Assert.Equal("kept", await Scalar<string>(manager, "SELECT current_setting('pgopt.remembered', true)"));
        Assert.Equal(0, manager.Primary.SessionResets);

        await Scalar<string>(manager, "SELECT remember('asked')", new PgCallOptions { ResetSession = true });
        Assert.Equal("", await Scalar<string>(manager, "SELECT coalesce(current_setting('pgopt.remembered', true), '')"));
        Assert.Equal(1, manager.Primary.SessionResets);
        Assert.Equal(pid, await Pid(manager));
    }

    [Fact]
    public async Task Always_resets_every_connection_as_npgsql_does()
    {
        await using var manager = Manager(SessionResetMode.Always);
        await Scalar<string>(manager, "SELECT remember('dropped')");
        Assert.Equal("", await Scalar<string>(manager, "SELECT coalesce(current_setting('pgopt.remembered', true), '')"));
        Assert.Same(manager.Primary.DataSource, manager.Primary.CallSource);
        Assert.False(new NpgsqlConnectionStringBuilder(RawNpgsqlExecutor.ConnectionStringLike(manager)).NoResetOnClose);
    }

    [Fact]
    public async Task The_direct_data_source_still_resets_and_the_baseline_skips_the_reset_as_the_calls_do()
    {
        await using var manager = Manager();
        Assert.NotSame(manager.Primary.DataSource, manager.Primary.CallSource);
        await using (var conn = await manager.Primary.DataSource.OpenConnectionAsync())
        {
            await using var cmd = new NpgsqlCommand("SELECT remember('direct')", conn);
            await cmd.ExecuteScalarAsync();
        }

        await using (var conn = await manager.Primary.DataSource.OpenConnectionAsync())
        {
            await using var cmd = new NpgsqlCommand("SELECT coalesce(current_setting('pgopt.remembered', true), '')", conn);
            Assert.Equal("", (string)(await cmd.ExecuteScalarAsync())!);
        }

        Assert.True(new NpgsqlConnectionStringBuilder(RawNpgsqlExecutor.ConnectionStringLike(manager)).NoResetOnClose);
    }

    [Fact]
    public async Task A_minimum_pool_size_warms_the_calls_pool_only()
    {
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(_db.Connection).ConnectionString) { MinPoolSize = 3 }.ConnectionString,
        }));
        Assert.Equal(3, new NpgsqlConnectionStringBuilder(manager.Primary.CallSource.ConnectionString).MinPoolSize);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(manager.Primary.DataSource.ConnectionString).MinPoolSize);
    }

    [Theory]
    [InlineData("SET x.y = 1", true)]
    [InlineData("  set role reporting", true)]
    [InlineData("SET SESSION AUTHORIZATION alice", true)]
    [InlineData("/* pgoptimizer */ SET statement_timeout = 0", true)]
    [InlineData("SELECT 1; SET work_mem = '64MB'", true)]
    [InlineData("LISTEN cache_changes", true)]
    [InlineData("CREATE TEMPORARY TABLE t (x int)", true)]
    [InlineData("create local temp table t (x int)", true)]
    [InlineData("SELECT pg_try_advisory_lock(1, 2)", true)]
    [InlineData("SELECT pg_advisory_lock_shared(7)", true)]
    [InlineData("SELECT set_config('a.b', 'c', false)", true)]
    [InlineData("DECLARE c CURSOR WITH HOLD FOR SELECT 1", true)]
    [InlineData("UPDATE pitches SET title = $2 WHERE id = $1", false)]
    [InlineData("UPDATE t\nSET a = 1", false)]
    [InlineData("SET LOCAL statement_timeout = 0", false)]
    [InlineData("SET TRANSACTION READ ONLY", false)]
    [InlineData("SET CONSTRAINTS ALL DEFERRED", false)]
    [InlineData("SELECT reset_at, offset_by, dataset FROM t", false)]
    [InlineData("SELECT pg_advisory_xact_lock(1)", false)]
    [InlineData("INSERT INTO settings (set) VALUES (1)", false)]
    [InlineData("CREATE TABLE t (temp int)", false)]
    [InlineData("DECLARE c CURSOR FOR SELECT 1", false)]
    [InlineData("RESET ALL", false)]
    public void Session_changes_are_recognized_from_the_sql(string sql, bool changes) =>
        Assert.Equal(changes, SessionStatements.ChangesSession(sql));
}
