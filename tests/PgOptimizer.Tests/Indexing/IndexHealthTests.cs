using System.Diagnostics;
using Microsoft.Extensions.Options;
using PgOptimizer.Indexing;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Infrastructure;
using PgOptimizer.Workload;

namespace PgOptimizer.Tests.Indexing;

public sealed class IndexHealthTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(async db =>
    {
        await db.ExecAsync("CREATE EXTENSION pg_stat_statements");
        await PitchesDemo.SeedAsync(db.DataSource, new SeedOptions { Scale = 0.002 }); // resets this database's statement stats
    });

    private IndexManager _indexes = null!;

    private TempDatabase Db => _m.Db;

    public async Task InitializeAsync()
    {
        await _m.InitializeAsync();
        _indexes = new IndexManager(_m.Connections, Options.Create(new IndexingOptions
        {
            UnusedMinBytes = 0,
            UnusedMinStatsAge = TimeSpan.Zero,
            SeqScanMinTableBytes = 0,
            WorkloadMinCalls = 1,
        }));
    }

    public Task DisposeAsync() => _m.DisposeAsync();

    [Fact]
    public async Task Finds_planted_duplicate_redundant_unused_and_invalid_indexes()
    {
        await Db.ExecAsync("""
            CREATE INDEX planted_a ON pitches (user_id, status);
            CREATE INDEX planted_b ON pitches (user_id, status);
            CREATE INDEX planted_prefix ON pitches (user_id);
            CREATE INDEX planted_used ON users (email);
            """);
        try
        {
            await Db.ExecAsync("CREATE UNIQUE INDEX CONCURRENTLY planted_invalid ON follows (followee_id)");
        }
        catch (Npgsql.PostgresException)
        {
        }

        // Use one index for real, and flush this backend's statistics so the check sees the scan.
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        await using (var cmd = new Npgsql.NpgsqlCommand("SET enable_seqscan = off; SELECT count(*) FROM users WHERE email = 'user1@pitchmail.io'; SELECT pg_stat_force_next_flush();", conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var report = await _indexes.PerformIndexHealthCheckAsync();
        IndexFinding? F(IndexFindingKind kind, string index) => report.Findings.SingleOrDefault(f => f.Kind == kind && f.Index == index);

        Assert.Equal(HealthLevel.Critical, report.Status); // the invalid index
        var invalid = F(IndexFindingKind.Invalid, "planted_invalid");
        Assert.NotNull(invalid);
        Assert.Equal("DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"planted_invalid\";", invalid!.Fix);

        var duplicate = F(IndexFindingKind.Duplicate, "planted_b");
        Assert.NotNull(duplicate);
        Assert.Equal("planted_a", duplicate!.Evidence["duplicateOf"]);
        Assert.Null(F(IndexFindingKind.Duplicate, "planted_a")); // only one of the pair is to drop
        Assert.Contains("DROP INDEX CONCURRENTLY", duplicate.Fix, StringComparison.Ordinal);

        var redundant = F(IndexFindingKind.Redundant, "planted_prefix");
        Assert.NotNull(redundant);

        Assert.NotNull(F(IndexFindingKind.Unused, "planted_a"));
        Assert.Null(F(IndexFindingKind.Unused, "planted_used"));
        Assert.DoesNotContain(report.Findings, f => f.Kind == IndexFindingKind.Unused && f.Index!.EndsWith("_pkey", StringComparison.Ordinal));

        // Foreign keys without a usable index are reported with the CREATE INDEX that fixes them.
        var fk = report.Findings.Single(f => f.Kind == IndexFindingKind.UnindexedForeignKey && (string)f.Evidence["constraint"]! == "messages_pitch_id_fkey");
        Assert.Contains("CREATE INDEX CONCURRENTLY", fk.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coverage_is_the_share_of_the_workload_without_sequential_scans()
    {
        await Db.ExecAsync("CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g; CREATE INDEX big_v ON big (v); ANALYZE big");
        await Db.ExecAsync("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
        for (var i = 0; i < 3; i++)
        {
            await Db.ExecAsync($"SELECT id FROM big WHERE v = md5('{i}')"); // index lookup
        }

        await Db.ExecAsync("SELECT v FROM big WHERE id = 5"); // sequential scan
        var report = await _indexes.PerformIndexHealthCheckAsync();
        var coverage = report.Coverage!;

        Assert.Null(report.CoverageUnavailable);
        var scan = Assert.Single(coverage.Uncovered);
        Assert.Contains("FROM big WHERE id", scan.Query, StringComparison.Ordinal);
        Assert.Equal(["big"], scan.SeqScannedTables);
        Assert.Equal(2, coverage.Statements); // PgOptimizer's own catalog queries are left out
        Assert.Equal(0.75, coverage.ByCalls, 3);
        Assert.InRange(coverage.ByTime, 0.0, 0.99);
    }

    [Fact]
    public async Task Index_only_scans_on_a_table_vacuum_has_not_marked_are_reported_until_it_does()
    {
        // A snapshot taken before the rows exist: while it is held, VACUUM may not mark them.
        await using var holder = await Db.DataSource.OpenConnectionAsync();
        await using (var begin = new Npgsql.NpgsqlCommand("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1", holder))
        {
            await begin.ExecuteScalarAsync();
        }

        // Loaded and analyzed but never vacuumed (autovacuum off for it, so that it cannot come by
        // meanwhile): no page is marked all-visible yet.
        await Db.ExecAsync("CREATE TABLE ios WITH (autovacuum_enabled = false) AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g; CREATE INDEX ios_v_id ON ios (v) INCLUDE (id); ANALYZE ios");
        await Db.ExecAsync("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
        for (var i = 0; i < 3; i++)
        {
            await Db.ExecAsync($"SELECT id FROM ios WHERE v = md5('{i}')"); // covered by the index: an index-only scan
        }

        var report = await _indexes.PerformIndexHealthCheckAsync();
        var finding = Assert.Single(report.Findings, f => f.Kind == IndexFindingKind.HeapFetches);
        Assert.Equal("public.ios", finding.Table);
        Assert.Equal("ios_v_id", finding.Index);
        Assert.Equal(HealthLevel.Warning, finding.Level);
        Assert.Equal(0L, finding.Evidence["relallvisible"]);
        Assert.Equal(3L, finding.Evidence["calls"]);
        Assert.Equal("VACUUM (ANALYZE) \"public\".\"ios\";", finding.Fix);
        Assert.Contains("last vacuum never", finding.Detail, StringComparison.Ordinal);

        // The fix while the snapshot is held marks nothing, and the finding names what holds it.
        await Db.ExecAsync(finding.Fix!);
        var held = Assert.Single((await _indexes.PerformIndexHealthCheckAsync()).Findings, f => f.Kind == IndexFindingKind.HeapFetches);
        Assert.Contains("holds one", held.Detail, StringComparison.Ordinal);
        Assert.StartsWith("transaction pid ", (string)held.Evidence["horizonHolder"]!, StringComparison.Ordinal);

        // Let go; the standbys' hot_standby_feedback still holds the horizon back for a moment, and
        // longer while another test class pauses a standby's replay or stops it (its slot keeps the
        // horizon it last reported): run the fix again until it marks the pages.
        await using (var commit = new Npgsql.NpgsqlCommand("COMMIT", holder))
        {
            await commit.ExecuteNonQueryAsync();
        }

        var deadline = Stopwatch.StartNew();
        IndexHealthReport after;
        do
        {
            await PitchesDemo.WaitForStandbyHorizonAsync(Db.DataSource, CancellationToken.None);
            await Db.ExecAsync(finding.Fix!);
            after = await _indexes.PerformIndexHealthCheckAsync();
        }
        while (after.Findings.Any(f => f.Kind == IndexFindingKind.HeapFetches) && deadline.Elapsed < TimeSpan.FromMinutes(2));

        Assert.DoesNotContain(after.Findings, f => f.Kind == IndexFindingKind.HeapFetches);
    }

    [Fact]
    public async Task Updates_that_an_include_column_or_a_full_page_keeps_from_being_hot_are_reported_with_the_fix()
    {
        // counted and roomy differ only in the INCLUDE column; both leave half of each page free
        await Db.ExecAsync("""
            CREATE TABLE counted (id int PRIMARY KEY, owner int NOT NULL, likes int NOT NULL) WITH (fillfactor = 50);
            CREATE INDEX counted_owner ON counted (owner) INCLUDE (likes);
            INSERT INTO counted SELECT g, g % 50, 0 FROM generate_series(1, 2000) g;
            CREATE TABLE roomy (id int PRIMARY KEY, owner int NOT NULL, likes int NOT NULL) WITH (fillfactor = 50);
            CREATE INDEX roomy_owner ON roomy (owner);
            INSERT INTO roomy SELECT g, g % 50, 0 FROM generate_series(1, 2000) g;
            CREATE TABLE packed (id int PRIMARY KEY, note text);
            INSERT INTO packed SELECT g, 'x' FROM generate_series(1, 2000) g;
            """);
        await Db.ExecAsync("SELECT pg_stat_statements_reset()");
        await Db.ExecAsync("UPDATE counted SET likes = likes + 1"); // likes is in counted_owner: no update can be HOT
        await Db.ExecAsync("UPDATE roomy SET likes = likes + 1");   // the same without it: HOT
        await Db.ExecAsync("UPDATE packed SET note = 'y'");         // no index on note, but every page is full
        await Db.ExecAsync("SELECT pg_stat_force_next_flush()");
        await TestServices.WaitUntilAsync(
            () => Db.ScalarAsync<bool>("SELECT count(*) = 3 FROM pg_stat_user_tables WHERE relname IN ('counted', 'roomy', 'packed') AND n_tup_upd >= 2000"),
            TimeSpan.FromSeconds(30), "the updates in the table statistics");

        var findings = (await _indexes.PerformIndexHealthCheckAsync()).Findings.Where(f => f.Kind == IndexFindingKind.NonHotUpdates).ToList();
        var counted = Assert.Single(findings, f => f.Table == "public.counted");
        Assert.Equal(HealthLevel.Warning, counted.Level);
        Assert.Equal("counted_owner", counted.Index);
        Assert.Equal(2000L, counted.Evidence["updates"]);
        Assert.Equal(0L, counted.Evidence["hotUpdates"]);
        Assert.Contains("likes (counted_owner include; 1 statement(s), 1 calls)", counted.Detail, StringComparison.Ordinal);
        Assert.StartsWith("Leave likes out of the INCLUDE list of counted_owner", counted.Fix, StringComparison.Ordinal);

        Assert.DoesNotContain(findings, f => f.Table == "public.roomy");
        Assert.True(await Db.ScalarAsync<long>("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'roomy'") >= 1000);

        var packed = Assert.Single(findings, f => f.Table == "public.packed");
        Assert.Equal(HealthLevel.Warning, packed.Level);
        Assert.Equal("ALTER TABLE \"public\".\"packed\" SET (fillfactor = 90);", packed.Fix);
        Assert.Contains("set no indexed column", packed.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UPDATE pitches SET title = $2, updated_at = now() WHERE id = $1", "pitches.title pitches.updated_at")]
    [InlineData("update Public.\"Pitch Likes\" AS p set \"Count\" = p.\"Count\" + 1, seen = coalesce(seen, now()) returning id", "public.Pitch Likes.Count public.Pitch Likes.seen")]
    [InlineData("UPDATE ONLY t x SET (a, b) = ($1, $2), c = (SELECT max(v) FROM w WHERE w.k = x.k) FROM u WHERE u.id = x.id", "t.a t.b t.c")]
    [InlineData("WITH liked AS (INSERT INTO likes (user_id, pitch_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING pitch_id) UPDATE pitches SET like_count = like_count + 1 WHERE id IN (SELECT pitch_id FROM liked)", "pitches.like_count")]
    [InlineData("WITH moved AS (UPDATE jobs SET state = $1 WHERE id = $2 RETURNING id) SELECT count(*) FROM moved", "jobs.state")]
    [InlineData("INSERT INTO counters (k, n) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + 1, touched = now()", "counters.n counters.touched")]
    [InlineData("SELECT id FROM jobs WHERE state = $1 FOR UPDATE SKIP LOCKED", "")]
    public void The_columns_an_update_sets_are_read_from_its_sql(string sql, string expected)
    {
        var columns = HotUpdates.SetColumns(sql).Select(c => $"{(c.Schema is null ? "" : c.Schema + ".")}{c.Table}.{c.Column}");
        Assert.Equal(expected, string.Join(" ", columns));
    }

    [Fact]
    public async Task Coverage_of_given_statements_weighs_them_by_their_calls()
    {
        await Db.ExecAsync("CREATE TABLE given AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g; CREATE INDEX given_v ON given (v); ANALYZE given");
        var coverage = await _indexes.CoverageOfAsync(
        [
            new StatementStatistics(0, "SELECT id FROM given WHERE v = $1", 9, 9, 9),
            new StatementStatistics(0, "SELECT v FROM given WHERE id = $1", 1, 50, 1),
        ]);
        Assert.Equal(0.9, coverage.ByCalls, 3);
        var scan = Assert.Single(coverage.Uncovered);
        Assert.Equal("SELECT v FROM given WHERE id = $1", scan.Query);
        Assert.Equal(["given"], scan.SeqScannedTables);
        Assert.Equal(9.0 / 59, coverage.ByTime, 2); // rounded to 4 decimals in the report
    }

    [Fact]
    public async Task Bloat_is_estimated_or_said_to_be_unknown()
    {
        await Db.ExecAsync("CREATE INDEX bloat_probe ON users (email); CREATE INDEX bloat_expr ON users (lower(email)); ANALYZE users");
        var report = await _indexes.PerformIndexHealthCheckAsync();
        var plain = report.Bloat.Single(b => b.Index == "bloat_probe");
        Assert.NotNull(plain.ExpectedBytes);
        Assert.InRange(plain.BloatRatio!.Value, 0, 1);
        var expr = report.Bloat.Single(b => b.Index == "bloat_expr");
        Assert.Null(expr.BloatRatio);
        Assert.Contains("expression", expr.UnknownReason, StringComparison.Ordinal);
    }
}
