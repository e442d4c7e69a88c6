using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Cost;
using PgOptimizer.Indexing;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cost;

/// <summary>The analyses that read the database, against the real PostgreSQL.</summary>
public sealed class PostgresCostTests : IClassFixture<PostgresCostTests.Bloated>
{
    private static readonly NeonPricePlan Launch = NeonPriceTable.Default().For("launch", new DateOnly(2026, 11, 1));
    private readonly Bloated _db;

    public PostgresCostTests(Bloated db) => _db = db;

    /// <summary>A table with 60 % of its rows deleted and autovacuum off for it, a duplicate index, and a little workload.</summary>
    public sealed class Bloated : IAsyncLifetime
    {
        public ManagedDatabase M { get; } = new(async db =>
        {
            await db.ExecAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await db.ExecAsync("CREATE TABLE events (id bigint PRIMARY KEY, kind int NOT NULL, payload text NOT NULL) WITH (autovacuum_enabled = false)");
            await db.ExecAsync("INSERT INTO events SELECT g, g % 20, repeat('x', 200) FROM generate_series(1, 200000) g");
            await db.ExecAsync("CREATE INDEX events_kind ON events (kind)");
            await db.ExecAsync("CREATE INDEX events_kind_again ON events (kind)");
            await db.ExecAsync("DELETE FROM events WHERE id % 5 <> 0");
            await db.ExecAsync("SELECT pg_stat_force_next_flush()");
            for (var i = 0; i < 30; i++)
            {
                await db.ExecAsync($"SELECT count(*) FROM events WHERE kind = {i % 20}");
                await db.ExecAsync($"SELECT payload FROM events WHERE id = {i * 5}");
            }

            await db.ExecAsync("SELECT count(*) FROM events");
        });

        public Task InitializeAsync() => M.InitializeAsync();

        public Task DisposeAsync() => M.DisposeAsync();
    }

    [Fact]
    public async Task Dead_rows_and_a_duplicate_index_are_priced_as_storage_with_the_sql_that_reclaims_them()
    {
        await TestServices.WaitUntilAsync(async () => await _db.M.Db.ScalarAsync<long>("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'events'") > 100_000,
            TimeSpan.FromSeconds(30), "the deleted rows to show in pg_stat_user_tables");
        var indexes = new IndexManager(_db.M.Connections, Options.Create(new IndexingOptions()));
        var actions = await PostgresCostAnalysis.StorageAsync(indexes, _db.M.Connections.Primary.DataSource, Launch, CancellationToken.None);

        var bloat = Assert.Single(actions, a => a.Id == "bloat:public.events");
        var deadBytes = (long)bloat.Evidence["deadBytes"]!;
        var tableBytes = (long)bloat.Evidence["tableBytes"]!;
        Assert.InRange((double)bloat.Evidence["deadRatio"]!, 0.75, 0.85); // 160 000 of 200 000 rows
        Assert.InRange(deadBytes, tableBytes * 3 / 4, tableBytes);
        Assert.Equal(Math.Round(deadBytes / 1e9m * 0.35m, 2, MidpointRounding.AwayFromZero), bloat.MonthlySavings);
        Assert.Equal("VACUUM (FULL, ANALYZE) \"public\".\"events\";", bloat.Sql);

        var duplicate = Assert.Single(actions, a => a.Id.StartsWith("drop-index:events_kind", StringComparison.Ordinal));
        Assert.Contains("DROP INDEX CONCURRENTLY", duplicate.Sql, StringComparison.Ordinal);
        Assert.Equal("Duplicate", duplicate.Evidence["kind"]);
        Assert.True((long)duplicate.Evidence["sizeBytes"]! > 0);
        Assert.Contains("GB × $0.35/GB-month", duplicate.Calculation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_statements_shares_of_the_compute_bill_sum_to_one_hundred_percent()
    {
        var queries = await PostgresCostAnalysis.QueriesAsync(_db.M.Connections, 340.84m, 2, CancellationToken.None);
        Assert.Equal(3, queries.Count); // the top two and the rest
        Assert.StartsWith("(the other", queries[^1].Query, StringComparison.Ordinal);
        Assert.Equal(1.0, queries.Sum(q => q.Share), 9);
        Assert.InRange(queries.Sum(q => q.MonthlyDollars), 340.84m - 0.02m, 340.84m + 0.02m);
        Assert.True(queries[0].TotalMs >= queries[1].TotalMs);
        Assert.Contains(queries.Take(2), q => q.Query.Contains("events", StringComparison.Ordinal) && q.Query.Contains("$1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_plain_postgresql_is_priced_as_an_estimate_from_its_own_figures()
    {
        var (monthly, basis) = await PostgresCostAnalysis.EstimateAsync(_db.M.Connections.Primary.DataSource, Launch, CancellationToken.None);
        await using var conn = await _db.M.Connections.Primary.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_database_size(current_database())", conn);
        var size = (long)(await cmd.ExecuteScalarAsync())!;

        Assert.StartsWith("an estimate", basis, StringComparison.Ordinal);
        Assert.Equal(Math.Round(size / 1e9m * 0.35m, 2, MidpointRounding.AwayFromZero), monthly.Storage);
        Assert.True(monthly.Compute >= 0.25m * 730m * 0.106m - 0.01m); // at least the smallest compute, always on
    }
}
