using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Indexing;

/// <summary>The advisor on planted slow queries, with real pg_stat_statements and HypoPG.</summary>
public sealed class IndexAdvisorTests : IAsyncLifetime
{
    private const string ByCustomer = "SELECT id, amount FROM orders WHERE customer_id = $1 AND created_at > $2 ORDER BY created_at";
    private const string OpenOrders = "SELECT id, customer_id FROM orders WHERE status = 'open' ORDER BY created_at DESC LIMIT 20";
    private const string AllAmounts = "SELECT sum(amount) FROM orders WHERE amount > $1";
    private const string AllAmountsAsWritten = "SELECT sum(amount) FROM orders WHERE amount > 0"; // the application passes 0
    private const string ById = "SELECT customer_id FROM orders WHERE id = $1";
    // typed literals: pg_stat_statements records "timestamptz $1 - interval $2", which does not parse
    private const string Recent = "SELECT count(*) FROM events WHERE kind = 'signup' AND at > timestamptz '2026-01-01' - interval '5 days'";

    private readonly TempDatabase _db = new();
    private PgConnectionManager _connections = null!;
    private IndexManager _indexes = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.ExecAsync("""
            CREATE EXTENSION pg_stat_statements; CREATE EXTENSION hypopg;
            CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL, amount numeric NOT NULL);
            INSERT INTO orders SELECT g, 1 + (hashint4(g) & 8191), CASE WHEN g % 20 = 0 THEN 'open' ELSE 'closed' END,
                   '2026-01-01'::timestamptz - g * interval '1 minute', 1 + (g % 500)
            FROM generate_series(1, 200000) g;
            """);
        await _db.ExecAsync("""
            CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL);
            INSERT INTO events SELECT g, (ARRAY['signup','login','view','click'])[1 + g % 4], '2026-01-01'::timestamptz - g * interval '1 minute'
            FROM generate_series(1, 100000) g;
            """);
        await _db.ExecAsync("VACUUM ANALYZE orders");
        await _db.ExecAsync("VACUUM ANALYZE events");
        await _db.ExecAsync("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
        await using (var conn = await _db.DataSource.OpenConnectionAsync())
        {
            for (var i = 0; i < 5; i++)
            {
                await RunAsync(conn, ByCustomer, 100 + i, new DateTime(2025, 12, 1, 0, 0, 0, DateTimeKind.Utc));
                await RunAsync(conn, OpenOrders);
                await RunAsync(conn, AllAmounts, 0);
                await RunAsync(conn, ById, 10 + i);
                await RunAsync(conn, Recent);
            }
        }

        _connections = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        _indexes = new IndexManager(_connections, Options.Create(new IndexingOptions { SeqScanMinTableBytes = 0, WorkloadMinCalls = 1 }));
    }

    private static async Task RunAsync(NpgsqlConnection conn, string sql, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await _connections.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static QueryAdvice Verdict(AdvisorReport r, string startsWith) =>
        r.Queries.Single(q => q.Query.StartsWith(startsWith, StringComparison.Ordinal));

    [Fact]
    public async Task Recommends_a_multi_column_and_a_partial_index_and_explains_every_verdict()
    {
        var report = await _indexes.AdviseAsync([OpenOrders, AllAmountsAsWritten]); // the application's SQL, with its constants

        var multi = Assert.Single(report.Recommendations, r => r.Queries.Any(q => q.Query.StartsWith("SELECT id, amount FROM orders WHERE customer_id", StringComparison.Ordinal)));
        Assert.Equal(["customer_id", "created_at"], multi.Columns); // equality column first, then the range/sort column
        Assert.Null(multi.Where);
        Assert.StartsWith("CREATE INDEX CONCURRENTLY \"idx_orders_customer_id_created_at\" ON \"public\".\"orders\" USING btree (\"customer_id\", \"created_at\")", multi.Ddl, StringComparison.Ordinal);
        Assert.True(multi.EstimatedSizeBytes > 0);
        Assert.All(multi.Queries, q => Assert.True(q.CostAfter < q.CostBefore * 0.5));

        var partial = Assert.Single(report.Recommendations, r => r.Where is not null);
        Assert.Contains("'open'", partial.Where, StringComparison.Ordinal);
        Assert.Equal(["created_at DESC"], partial.Columns);
        Assert.Contains(partial.Queries, q => q.Query == OpenOrders);

        Assert.Equal(QueryVerdict.Helped, Verdict(report, "SELECT id, amount FROM orders").Verdict);
        Assert.Equal(QueryVerdict.Helped, Verdict(report, "SELECT id, customer_id FROM orders WHERE status").Verdict);
        var noHelp = Verdict(report, "SELECT sum(amount) FROM orders");
        Assert.Equal(QueryVerdict.NoUsefulIndex, noHelp.Verdict);
        Assert.Contains("10 %", noHelp.Reason, StringComparison.Ordinal);
        Assert.Equal(QueryVerdict.AlreadyIndexed, Verdict(report, "SELECT customer_id FROM orders WHERE id").Verdict);

        // The advisor built nothing.
        Assert.Equal(1L, await _db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'"));
    }

    [Fact]
    public async Task A_statement_with_typed_literals_is_repaired_and_advised_on()
    {
        Assert.Equal("SELECT $1::interval, $2::timestamp with time zone, x.date $3", GenericPlanExplainer.RepairTypedLiterals("SELECT interval $1, timestamp  with time zone $2, x.date $3"));
        var report = await _indexes.AdviseAsync();
        var recent = Verdict(report, "SELECT count(*) FROM events");
        Assert.Contains("interval $", recent.Query, StringComparison.Ordinal); // reported as pg_stat_statements wrote it
        Assert.NotEqual(QueryVerdict.Unsupported, recent.Verdict);
        Assert.Contains(report.Recommendations, r => r.Table.EndsWith("events", StringComparison.Ordinal) && r.Columns.Contains("at"));
    }

    [Fact]
    public async Task Applying_the_advice_makes_the_plans_use_the_new_indexes()
    {
        var report = await _indexes.AdviseAsync([OpenOrders, AllAmountsAsWritten]);
        var applied = await _indexes.ApplyAsync(report.ToCatalog());
        Assert.True(applied.Succeeded);
        Assert.Equal(report.Recommendations.Count, applied.Results.Count);

        await using var conn = await _db.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("EXPLAIN (FORMAT JSON) SELECT id, amount FROM orders WHERE customer_id = 5 AND created_at > '2025-12-01' ORDER BY created_at", conn);
        var plan = (string)(await cmd.ExecuteScalarAsync())!;
        Assert.Contains("idx_orders_customer_id_created_at", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_hypopg_the_advisor_says_how_to_get_it()
    {
        await _db.ExecAsync("DROP EXTENSION hypopg");
        var ex = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => _indexes.AdviseAsync());
        Assert.Contains("CREATE EXTENSION hypopg", ex.Message, StringComparison.Ordinal);
    }
}
