using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;
using PgOptimizer.Workload;

namespace PgOptimizer.Tests.Workload;

public sealed class StatementStatisticsReaderTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(
        db => db.ExecAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE TABLE readings (id int PRIMARY KEY, v int); INSERT INTO readings SELECT g, g FROM generate_series(1, 100) g"));

    public Task InitializeAsync() => _m.InitializeAsync();

    public Task DisposeAsync() => _m.DisposeAsync();

    [Fact]
    public async Task Statements_of_the_primary_and_the_replica_are_merged_and_filtered()
    {
        var connections = new PgConnectionManager(Microsoft.Extensions.Options.Options.Create(new ConnectionOptions
        {
            ConnectionString = _m.Db.Connection,
            ReplicaConnectionStrings = { _m.Db.ReplicaConnection },
        }));
        await using var _ = connections;
        await TestServices.WaitUntilAsync(async () =>
        {
            try
            {
                await using var c = await connections.Replicas[0].DataSource.OpenConnectionAsync();
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM readings", c);
                return (long)(await cmd.ExecuteScalarAsync())! == 100;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15), "the table to reach the replica");

        const string Sql = "SELECT v FROM readings WHERE id = $1";
        for (var i = 0; i < 3; i++)
        {
            await RunAsync(connections.Primary.DataSource, Sql, i + 1);
        }

        for (var i = 0; i < 5; i++)
        {
            await RunAsync(connections.Replicas[0].DataSource, Sql, i + 1);
        }

        var reader = new StatementStatisticsReader(connections);
        StatementStatistics? merged = null;
        await TestServices.WaitUntilAsync(async () =>
        {
            merged = (await reader.ReadAsync(new StatementSelection { PlannableOnly = true })).SingleOrDefault(s => s.Query == Sql);
            return merged?.Calls == 8;
        }, TimeSpan.FromSeconds(10), "3 primary + 5 replica calls to be merged");
        Assert.Equal(8, merged!.Rows);

        var all = await reader.ReadAsync(new StatementSelection());
        Assert.DoesNotContain(all, s => s.Query.Contains("pgoptimizer", StringComparison.Ordinal)); // its own catalog queries
        var plannable = await reader.ReadAsync(new StatementSelection { PlannableOnly = true });
        Assert.Contains(all, s => s.Query.StartsWith("CREATE TABLE readings", StringComparison.Ordinal)); // utility statements are counted too
        Assert.DoesNotContain(plannable, s => s.Query.StartsWith("CREATE", StringComparison.Ordinal));
        Assert.Empty(await reader.ReadAsync(new StatementSelection { PlannableOnly = true, MinCalls = 1_000_000 }));
    }

    private static async Task RunAsync(NpgsqlDataSource source, string sql, int id)
    {
        await using var c = await source.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(sql, c) { Parameters = { new NpgsqlParameter<int> { TypedValue = id } } };
        await cmd.ExecuteScalarAsync();
    }
}
