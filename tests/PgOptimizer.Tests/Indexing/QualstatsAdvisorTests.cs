using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Indexing;

/// <summary>With pg_qualstats, the advisor sees the constants pg_stat_statements hides, without samples from the caller.</summary>
public sealed class QualstatsAdvisorTests : IAsyncLifetime
{
    private const string Signups = "SELECT count(*) FROM events WHERE kind = 'signup' AND at > timestamptz '2026-01-01' - interval '5 days'";
    private readonly TempDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.ExecAsync("CREATE EXTENSION pg_stat_statements; CREATE EXTENSION hypopg; CREATE EXTENSION pg_qualstats;");
        await _db.ExecAsync("""
            CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL);
            INSERT INTO events SELECT g, CASE WHEN g % 50 = 0 THEN 'signup' ELSE (ARRAY['login','view','click'])[1 + g % 3] END, '2026-01-01'::timestamptz - g * interval '1 minute'
            FROM generate_series(1, 200000) g;
            """);
        await _db.ExecAsync("VACUUM ANALYZE events");
        await _db.ExecAsync("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
        await using var conn = await _db.DataSource.OpenConnectionAsync();
        await using (var sample = new NpgsqlCommand("SET pg_qualstats.sample_rate = 1", conn))
        {
            await sample.ExecuteNonQueryAsync(); // every statement of this session (the default samples 1 in max_connections)
        }

        for (var i = 0; i < 5; i++)
        {
            await using var cmd = new NpgsqlCommand(Signups, conn);
            await cmd.ExecuteScalarAsync();
        }
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task The_constants_pg_qualstats_recorded_make_a_partial_index_without_samples()
    {
        var recorded = await _db.ScalarAsync<long>("SELECT count(*) FROM pg_qualstats_example_queries() WHERE query LIKE '%signup%'");
        Assert.True(recorded > 0, "pg_qualstats recorded no example: is it in shared_preload_libraries?");
        await using var connections = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _db.Connection }));
        var indexes = new IndexManager(connections, Options.Create(new IndexingOptions { SeqScanMinTableBytes = 0, WorkloadMinCalls = 1 }));

        var report = await indexes.AdviseAsync(); // no samples: the constants come from pg_qualstats

        var partial = Assert.Single(report.Recommendations, r => r.Table.EndsWith("events", StringComparison.Ordinal));
        Assert.Contains("'signup'", partial.Where, StringComparison.Ordinal);
        var verdict = report.Queries.Single(q => q.Query.StartsWith("SELECT count(*) FROM events", StringComparison.Ordinal));
        Assert.Equal(QueryVerdict.Helped, verdict.Verdict);
    }
}
