using System.Diagnostics;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PgOptimizer.Tests.Reliability;

/// <summary>A hot table locked for seconds, and a full pool: bounded waits, bounded retries, errors that say what happened.</summary>
public sealed class LockAndPoolTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_table_locked_for_five_seconds_gives_timeouts_named_as_such_and_no_retry_storm()
    {
        await using var m = new ManagedDatabase(
            db => db.ExecAsync("CREATE TABLE hot (id int PRIMARY KEY, v int); INSERT INTO hot SELECT g, g FROM generate_series(1, 100) g"),
            o =>
            {
                o.AttemptTimeout = TimeSpan.FromSeconds(1);
                o.TotalTimeout = TimeSpan.FromSeconds(3);
                o.MaxRetryAttempts = 2;
            });
        await m.InitializeAsync();
        await using var locker = await m.Db.DataSource.OpenConnectionAsync();
        await using var tx = await locker.BeginTransactionAsync();
        await using (var lockCmd = new Npgsql.NpgsqlCommand("LOCK TABLE hot IN ACCESS EXCLUSIVE MODE", locker, tx))
        {
            await lockCmd.ExecuteNonQueryAsync();
        }

        const int Calls = 16;
        var attemptsBefore = m.Connections.Primary.OperationsStarted;
        var sw = Stopwatch.StartNew();
        var calls = Enumerable.Range(0, Calls).Select(async _ =>
        {
            var started = sw.Elapsed;
            try
            {
                await m.Connections.ScalarAsync(DbIntent.Read, "SELECT v FROM hot WHERE id = 1");
                return (Error: (Exception?)null, Took: sw.Elapsed - started);
            }
            catch (Exception ex)
            {
                return (Error: ex, Took: sw.Elapsed - started);
            }
        }).ToList();
        var releaser = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ => tx.CommitAsync(), TaskScheduler.Default).Unwrap();
        var results = await Task.WhenAll(calls);
        await releaser;
        var attempts = m.Connections.Primary.OperationsStarted - attemptsBefore;

        var failed = results.Where(r => r.Error is not null).ToList();
        output.WriteLine($"{Calls} reads of a locked table: {failed.Count} failed, {attempts} attempts, slowest {results.Max(r => r.Took).TotalSeconds:F1} s; first error: {failed.FirstOrDefault().Error?.GetType().Name}: {failed.FirstOrDefault().Error?.Message}");
        Assert.Equal(Calls, failed.Count); // the lock outlasts the total timeout
        Assert.All(failed, r => Assert.True(r.Took < TimeSpan.FromSeconds(4.5), $"a call took {r.Took.TotalSeconds:F1} s, beyond the 3 s total timeout"));
        Assert.True(attempts <= Calls * 3, $"{attempts} attempts for {Calls} calls: more than the retry budget (1 + 2 retries each)");
        Assert.All(failed, r => Assert.Contains("time", Describe(r.Error!), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_full_pool_makes_callers_wait_at_most_the_connection_timeout_and_says_so()
    {
        await using var m = new ManagedDatabase(configure: o => o.MaxPoolSize = 2);
        await m.InitializeAsync();
        await using var pool = new PgConnectionManager(Microsoft.Extensions.Options.Options.Create(new ConnectionOptions
        {
            // a 1 s timeout also bounds a new data source's first connection, which loads the
            // server's types: on a busy machine that alone can take a second, so this data source
            // keeps to the built-in types and the 1 s applies to the wait for a free connection
            ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStringParser.Parse(m.Db.Connection).ConnectionString)
            {
                Timeout = 1,
#pragma warning disable CS0618 // still honoured; the manager builds its data source from a connection string
                ServerCompatibilityMode = Npgsql.ServerCompatibilityMode.NoTypeLoading,
#pragma warning restore CS0618
            }.ConnectionString,
            MaxPoolSize = 2,
            AttemptTimeout = TimeSpan.FromSeconds(3),
            TotalTimeout = TimeSpan.FromSeconds(3),
        }));
        // both connections of the calls' pool taken (as by two long requests)
        await using var held1 = await pool.Primary.CallSource.OpenConnectionAsync();
        await using var held2 = await pool.Primary.CallSource.OpenConnectionAsync();
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => pool.ScalarAsync(DbIntent.Write, "SELECT 1").AsTask());
        sw.Stop();
        output.WriteLine($"waited {sw.Elapsed.TotalSeconds:F1} s: {ex.GetType().Name}: {ex.Message}");
        // the pool's 1 s connection timeout per attempt, retried within the 3 s total
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4.5), $"waited {sw.Elapsed.TotalSeconds:F1} s for a connection");
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.9), $"gave up after {sw.Elapsed.TotalSeconds:F1} s, before the connection timeout");
        Assert.Contains("no database connection came free", Describe(ex), StringComparison.Ordinal);
    }

    private static string Describe(Exception ex) => ex switch
    {
        Npgsql.PostgresException pg => $"the database said {pg.SqlState}: {pg.MessageText}",
        Npgsql.NpgsqlException npg => ExitCodes.Describe(npg),
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
