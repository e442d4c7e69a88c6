using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Monitoring;

public sealed class ServerStatsCollectorTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(db => db.ExecAsync("CREATE EXTENSION pg_stat_statements; CREATE TABLE acct (id int PRIMARY KEY, balance int); INSERT INTO acct VALUES (1, 0), (2, 0)"));

    private TempDatabase Db => _m.Db;

    private PgConnectionManager Connections => _m.Connections;

    public Task InitializeAsync() => _m.InitializeAsync();

    public Task DisposeAsync() => _m.DisposeAsync();

    private ServerStatsCollector Collector(bool? onlyWhenActive = null) =>
        new(Connections, Options.Create(new MonitoringOptions { PollOnlyWhenActive = onlyWhenActive }));

    [Fact]
    public async Task A_provoked_deadlock_is_counted_in_the_interval()
    {
        var collector = Collector();
        Assert.Null(await collector.CollectAsync(force: true)); // first snapshot: no interval yet

        await using var a = await Db.DataSource.OpenConnectionAsync();
        await using var b = await Db.DataSource.OpenConnectionAsync();
        await using var ta = await a.BeginTransactionAsync();
        await using var tb = await b.BeginTransactionAsync();
        await new NpgsqlCommand("UPDATE acct SET balance = balance + 1 WHERE id = 1", a, ta).ExecuteNonQueryAsync();
        await new NpgsqlCommand("UPDATE acct SET balance = balance + 1 WHERE id = 2", b, tb).ExecuteNonQueryAsync();
        var first = new NpgsqlCommand("UPDATE acct SET balance = balance + 1 WHERE id = 2", a, ta).ExecuteNonQueryAsync();
        var second = new NpgsqlCommand("UPDATE acct SET balance = balance + 1 WHERE id = 1", b, tb).ExecuteNonQueryAsync();
        var outcomes = await Task.WhenAll(Capture(first), Capture(second));
        Assert.Contains(outcomes, e => e is PostgresException { SqlState: "40P01" });

        // The victim reports its statistics when its transaction ends.
        await ta.RollbackAsync();
        await tb.RollbackAsync();
        long deadlocks = 0;
        await TestServices.WaitUntilAsync(async () =>
        {
            deadlocks += (await collector.CollectAsync(force: true))!.Deadlocks;
            return deadlocks >= 1;
        }, TimeSpan.FromSeconds(15), "the deadlock to show in pg_stat_database");
        Assert.Equal(1, deadlocks);

        static async Task<Exception?> Capture(Task t)
        {
            try
            {
                await t;
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public async Task Intervals_report_rates_and_the_top_statements_of_that_interval_only()
    {
        var collector = Collector();
        await Db.ExecAsync("SELECT count(*) FROM acct WHERE balance >= 0"); // before the interval
        await collector.CollectAsync(force: true);
        for (var i = 0; i < 25; i++)
        {
            await Connections.NonQueryAsync(DbIntent.Write, "UPDATE acct SET balance = balance + 1 WHERE id = $1", [1 + (i % 2)]);
        }

        ServerInterval? interval = null;
        await TestServices.WaitUntilAsync(async () =>
        {
            interval = await collector.CollectAsync(force: true);
            return interval!.TopStatements.Any(s => s.Query.StartsWith("UPDATE acct", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(15), "the updates to show in pg_stat_statements");

        var updates = interval!.TopStatements.Single(s => s.Query.StartsWith("UPDATE acct", StringComparison.Ordinal));
        Assert.Equal(25, updates.Calls);
        Assert.Equal(25, updates.Rows);
        Assert.DoesNotContain(interval.TopStatements, s => s.Query.StartsWith("SELECT count(*) FROM acct", StringComparison.Ordinal)); // ran before the interval
        Assert.True(interval.Seconds > 0);
        Assert.True(interval.Current.Connections.MaxConnections >= 100);
        Assert.True(interval.Current.DatabaseBytes > 0);
        Assert.True(interval.Current.WraparoundAge > 0);
    }

    [Fact]
    public async Task Replica_lag_is_reported_in_seconds_and_bytes()
    {
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = TestServices.PrimaryConnection }));
        var snapshot = await new ServerStatsCollector(manager, Options.Create(new MonitoringOptions())).CaptureAsync();
        var replica = Assert.Single(snapshot.Replicas, r => r.Name == "pgopt_replica");
        Assert.Equal("streaming", replica.State);
        Assert.True(replica.LagBytes >= 0);
        Assert.NotNull(replica.ReplayLagSeconds);
        Assert.True(replica.ReplayLagSeconds >= 0);
    }

    [Fact]
    public async Task In_neon_mode_an_idle_application_is_not_polled()
    {
        var collector = Collector(onlyWhenActive: true);
        Assert.True(collector.PollsOnlyWhenActive);
        await collector.CollectAsync(); // the first poll always happens
        var operations = Connections.Primary.OperationsStarted;

        Assert.Null(await collector.CollectAsync()); // nothing ran since: skipped
        Assert.Equal(operations, Connections.Primary.OperationsStarted);

        await Connections.ScalarAsync(DbIntent.Read, "SELECT 1");
        Assert.NotNull(await collector.CollectAsync()); // the application is active again
    }

    [Fact]
    public void A_statistics_reset_between_snapshots_counts_from_zero()
    {
        var t0 = DateTimeOffset.UtcNow;
        var before = Snapshot(t0, commits: 1000, deadlocks: 5, reset: t0.AddDays(-1));
        var after = Snapshot(t0.AddSeconds(10), commits: 40, deadlocks: 1, reset: t0.AddSeconds(5));
        var d = ServerStatsCollector.Compare(before, after);
        Assert.True(d.CountersReset);
        Assert.Equal(4, d.CommitsPerSecond);
        Assert.Equal(1, d.Deadlocks);

        static ServerSnapshot Snapshot(DateTimeOffset at, long commits, long deadlocks, DateTimeOffset reset) => new(
            at, new DatabaseCounters(commits, 0, 100, 10, deadlocks, 0, 0, 0, 0, 0, 0, 0, reset),
            new ConnectionFigures(1, 1, 0, 0, 0, 0, 100, null, null), [], [], [], 1, 1, null);
    }
}
