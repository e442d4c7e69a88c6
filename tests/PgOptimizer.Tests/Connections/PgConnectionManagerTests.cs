using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Connections;

/// <summary>Retry behaviour against the real primary: backends really killed, errors really raised by the server.</summary>
public sealed class PgConnectionManagerTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();
    private PgConnectionManager _manager = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.ExecAsync("CREATE TABLE items (id int PRIMARY KEY, note text)");
        _manager = new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = _db.Connection,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        }));
    }

    public async Task DisposeAsync()
    {
        await _manager.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task KillAsync(NpgsqlConnection victim)
    {
        var pid = victim.ProcessID;
        await using var cmd = _db.DataSource.CreateCommand("SELECT pg_terminate_backend($1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = pid });
        Assert.True((bool)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Read_is_retried_after_its_backend_is_terminated()
    {
        var attempts = 0;
        var pids = new List<int>();
        var result = await _manager.ReadAsync(async (conn, ct) =>
        {
            attempts++;
            pids.Add(conn.ProcessID);
            if (attempts == 1)
            {
                await KillAsync(conn);
            }

            await using var cmd = new NpgsqlCommand("SELECT 41 + 1", conn);
            return (int)(await cmd.ExecuteScalarAsync(ct))!;
        });

        Assert.Equal(42, result);
        Assert.Equal(2, attempts);
        Assert.NotEqual(pids[0], pids[1]); // the retry ran on a fresh backend
    }

    [Fact]
    public async Task A_failure_on_every_attempt_is_retried_as_often_as_configured_then_surfaces()
    {
        // The first attempt runs outside Polly's retry strategy and a retryable failure enters it as
        // that strategy's first attempt: the count of attempts must be what MaxRetryAttempts says.
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = _db.Connection,
            MaxRetryAttempts = 2,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        }));
        var attempts = 0;
        var pids = new HashSet<int>();
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await manager.ReadAsync<int>(async (conn, ct) =>
        {
            attempts++;
            pids.Add(conn.ProcessID);
            await KillAsync(conn);
            await using var cmd = new NpgsqlCommand("SELECT 1", conn);
            return (int)(await cmd.ExecuteScalarAsync(ct))!;
        }));

        Assert.Equal(3, attempts); // the first and two retries
        Assert.Equal(3, pids.Count); // each on a fresh backend
    }

    [Fact]
    public async Task Non_idempotent_write_is_not_retried_when_its_outcome_is_unknown()
    {
        var attempts = 0;
        var ex = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await _manager.ExecuteInTransactionAsync(DbIntent.Write, 0, async (conn, tx, _, ct) =>
        {
            attempts++;
            await using (var insert = new NpgsqlCommand("INSERT INTO items VALUES (1, 'first')", conn, tx))
            {
                await insert.ExecuteNonQueryAsync(ct);
            }

            await KillAsync(conn);
            await using var more = new NpgsqlCommand("INSERT INTO items VALUES (2, 'second')", conn, tx);
            return await more.ExecuteNonQueryAsync(ct);
        }));

        Assert.Equal(1, attempts);
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM items")); // the killed transaction rolled back
        Assert.True(ex is PostgresException { SqlState: "57P01" } || ex.InnerException is not null, ex.ToString());
    }

    [Fact]
    public async Task Idempotent_write_is_retried_whole_after_its_backend_is_terminated()
    {
        var attempts = 0;
        await _manager.ExecuteInTransactionAsync(DbIntent.Write, 0, async (conn, tx, _, ct) =>
        {
            attempts++;
            await using (var upsert = new NpgsqlCommand("INSERT INTO items VALUES (10, 'a') ON CONFLICT (id) DO UPDATE SET note = excluded.note", conn, tx))
            {
                await upsert.ExecuteNonQueryAsync(ct);
            }

            if (attempts == 1)
            {
                await KillAsync(conn);
            }

            await using var second = new NpgsqlCommand("INSERT INTO items VALUES (11, 'b') ON CONFLICT (id) DO UPDATE SET note = excluded.note", conn, tx);
            return await second.ExecuteNonQueryAsync(ct);
        }, PgCallOptions.IdempotentWrite);

        Assert.Equal(2, attempts);
        Assert.Equal(2L, await _db.ScalarAsync<long>("SELECT count(*) FROM items WHERE id IN (10, 11)"));
    }

    [Fact]
    public async Task Serialization_failure_is_retried_even_for_a_non_idempotent_write()
    {
        var attempts = 0;
        await _manager.WriteAsync(async (conn, ct) =>
        {
            attempts++;
            var sql = attempts == 1
                ? "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$"
                : "INSERT INTO items VALUES (20, 'after conflict')";
            await using var cmd = new NpgsqlCommand(sql, conn);
            return await cmd.ExecuteNonQueryAsync(ct);
        });

        Assert.Equal(2, attempts);
        Assert.Equal(1L, await _db.ScalarAsync<long>("SELECT count(*) FROM items WHERE id = 20"));
    }

    [Fact]
    public async Task Constraint_violation_is_never_retried()
    {
        await _db.ExecAsync("INSERT INTO items VALUES (30, 'taken')");
        var attempts = 0;
        var ex = await Assert.ThrowsAsync<PostgresException>(async () => await _manager.WriteAsync(async (conn, ct) =>
        {
            attempts++;
            await using var cmd = new NpgsqlCommand("INSERT INTO items VALUES (30, 'again')", conn);
            return await cmd.ExecuteNonQueryAsync(ct);
        }, PgCallOptions.IdempotentWrite));

        Assert.Equal("23505", ex.SqlState);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Server_side_cancel_is_never_retried()
    {
        var attempts = 0;
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () => await _manager.ReadAsync(async (conn, ct) =>
        {
            attempts++;
            await using var cmd = new NpgsqlCommand("SET statement_timeout = '50ms'; SELECT pg_sleep(2)", conn);
            return await cmd.ExecuteNonQueryAsync(ct);
        }));

        Assert.Equal(1, attempts);
        Assert.Contains("57014", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Syntax_error_is_never_retried()
    {
        var attempts = 0;
        var ex = await Assert.ThrowsAsync<PostgresException>(async () => await _manager.ReadAsync(async (conn, ct) =>
        {
            attempts++;
            await using var cmd = new NpgsqlCommand("SELEC 1", conn);
            return await cmd.ExecuteScalarAsync(ct);
        }));

        Assert.Equal("42601", ex.SqlState);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Busy_connections_are_counted_while_in_use_and_released_after()
    {
        var seen = await _manager.ReadAsync((conn, ct) => ValueTask.FromResult(_manager.Primary.BusyConnections));
        Assert.Equal(1, seen);
        Assert.Equal(0, _manager.Primary.BusyConnections);
        Assert.True(_manager.Primary.PeakBusyConnections >= 1);
    }

    [Fact]
    public async Task Health_check_reports_latency_and_pool_usage()
    {
        var check = new PgEndpointHealthCheck(_manager.Primary);
        var result = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, result.Status);
        Assert.True((double)result.Data["latency_ms"] > 0);
        Assert.Equal(false, result.Data["in_recovery"]);
        Assert.Equal(ConnectionDefaults.MaxPoolSize, result.Data["pool_max"]);
    }

    [Fact]
    public async Task Reads_go_to_the_replica_and_writes_to_the_primary()
    {
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = TestServices.PrimaryConnection,
            ReplicaConnectionStrings = { TestServices.ReplicaConnection },
        }));
        var readInRecovery = (bool)(await manager.ScalarAsync(DbIntent.Read, "SELECT pg_is_in_recovery()"))!;
        var writeInRecovery = (bool)(await manager.ScalarAsync(DbIntent.Write, "SELECT pg_is_in_recovery()"))!;
        Assert.True(readInRecovery);
        Assert.False(writeInRecovery);
    }

    [Fact]
    public void Invalid_options_are_rejected_with_a_clear_message()
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => new PgConnectionManager(Options.Create(new ConnectionOptions())));
        Assert.Contains("PGOPT_CONNECTION", ex.Message, StringComparison.Ordinal);

        var bad = Assert.Throws<PgOptimizerConfigurationException>(() => new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = "Host=h",
            MaxRetryAttempts = 99,
        })));
        Assert.Contains("MaxRetryAttempts", bad.Message, StringComparison.Ordinal);
    }
}
