using Npgsql;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Samples;

public sealed class SeedTests : IAsyncLifetime
{
    private const double Scale = 0.002;
    private readonly TempDatabase _a = new();
    private readonly TempDatabase _b = new();
    private readonly TempDatabase _c = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_a.InitializeAsync(), _b.InitializeAsync(), _c.InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_a.DisposeAsync(), _b.DisposeAsync(), _c.DisposeAsync());
    }

    private static async Task<Dictionary<string, string>> FingerprintAsync(NpgsqlDataSource ds)
    {
        var result = new Dictionary<string, string>();
        foreach (var table in PitchesDemo.Tables)
        {
            await using var cmd = ds.CreateCommand($"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \"{table}\" t");
            result[table] = (string)(await cmd.ExecuteScalarAsync())!;
        }

        return result;
    }

    [Fact]
    public async Task Same_seed_gives_identical_data_and_another_seed_differs()
    {
        var ra = await PitchesDemo.SeedAsync(_a.DataSource, new SeedOptions { Scale = Scale, Seed = 7 });
        var rb = await PitchesDemo.SeedAsync(_b.DataSource, new SeedOptions { Scale = Scale, Seed = 7, Parallelism = 1 });
        var rc = await PitchesDemo.SeedAsync(_c.DataSource, new SeedOptions { Scale = Scale, Seed = 8 });

        var fa = await FingerprintAsync(_a.DataSource);
        var fb = await FingerprintAsync(_b.DataSource);
        var fc = await FingerprintAsync(_c.DataSource);
        Assert.Equal(fa, fb); // parallel and serial loads agree row for row
        Assert.NotEqual(fa["pitches"], fc["pitches"]);
        Assert.NotEqual(fa["analytics_events"], fc["analytics_events"]);
        Assert.Equal(ra.Tables.Select(t => t.Rows), rb.Tables.Select(t => t.Rows));
        Assert.True(rc.TotalRows > 0);
    }

    [Fact]
    public async Task Row_counts_follow_the_scale_and_are_reported()
    {
        var report = await PitchesDemo.SeedAsync(_a.DataSource, new SeedOptions { Scale = Scale, Seed = 42 });
        var sizes = DemoSizes.For(Scale);
        long Rows(string t) => report.Tables.Single(x => x.Table == t).Rows;

        Assert.Equal(sizes.Tenants, Rows("tenants"));
        Assert.Equal(sizes.Users, Rows("users"));
        Assert.Equal(sizes.Pitches, Rows("pitches"));
        Assert.Equal(sizes.Events, Rows("analytics_events"));
        Assert.Equal(sizes.Comments, Rows("comments"));
        Assert.Equal(sizes.Views, Rows("pitch_views"));
        // likes and follows drop duplicate pairs, so they get at most the target
        Assert.InRange(Rows("likes"), 1, sizes.Likes);
        Assert.InRange(Rows("follows"), 1, sizes.Follows);
        Assert.Equal(PitchesDemo.Tables.Count, report.Tables.Count);
        Assert.All(report.Tables, t => Assert.True(t.Bytes > 0));
        Assert.True(report.Elapsed > TimeSpan.Zero);

        // The data carries its shape: skewed authorship, mostly active pitches, recent events, and
        // foreign keys that hold.
        Assert.True(await _a.ScalarAsync<bool>("SELECT (SELECT count(*) FROM pitches WHERE user_id <= 10) > (SELECT count(*) FROM pitches) * 0.05"));
        Assert.True(await _a.ScalarAsync<bool>("SELECT avg((status = 'active')::int) BETWEEN 0.6 AND 0.8 FROM pitches"));
        Assert.True(await _a.ScalarAsync<bool>("SELECT avg((created_at > '2026-01-01'::timestamptz - interval '7 days')::int) > 0.5 FROM analytics_events"));
        Assert.Equal(0L, await _a.ScalarAsync<long>("SELECT count(*) FROM pitches p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL"));
        Assert.True(await _a.ScalarAsync<long>("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") >= 15);
        // Only primary keys and data constraints: no secondary indexes to flatter the "before" state.
        Assert.Equal(0L, await _a.ScalarAsync<long>(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE n.nspname = 'public' AND NOT i.indisprimary AND NOT i.indisunique"));

        // Vacuumed once the standbys' horizon passed the load: every page is all-visible, so the
        // index-only scans the catalog plans for read no heap pages (the standbys of the test
        // servers send hot_standby_feedback; a VACUUM before their report marks nothing).
        Assert.Equal("", await _a.ScalarAsync<string>(
            "SELECT coalesce(string_agg(relname || ' ' || relallvisible || '/' || relpages, ', '), '') FROM pg_class " +
            "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relpages > 0 AND relallvisible < relpages"));

        var keys = await PitchesDemo.ReadKeySpaceAsync(_a.DataSource);
        Assert.NotNull(keys);
        Assert.Equal(sizes.Users, keys!.Users);
        Assert.Equal(SeedOptions.DefaultAnchor, keys.Anchor);

        // Seeding again replaces the demo data (and only it).
        var again = await PitchesDemo.SeedAsync(_a.DataSource, new SeedOptions { Scale = Scale, Seed = 42 });
        Assert.True(again.ReplacedExisting);
        Assert.Equal(report.TotalRows, again.TotalRows);
    }

    [Fact]
    public async Task Refuses_to_overwrite_tables_that_are_not_demo_data()
    {
        await _c.ExecAsync("CREATE TABLE users (id int PRIMARY KEY, precious text); INSERT INTO users VALUES (1, 'keep me')");
        var ex = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => PitchesDemo.SeedAsync(_c.DataSource, new SeedOptions { Scale = Scale }));
        Assert.Contains("users", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", ex.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await _c.ScalarAsync<string>("SELECT precious FROM users WHERE id = 1"));
        Assert.Equal(0L, await _c.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'pitches'"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    [InlineData(double.NaN)]
    public async Task Rejects_bad_scales(double scale)
    {
        var ex = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => PitchesDemo.SeedAsync(_b.DataSource, new SeedOptions { Scale = scale }));
        Assert.Contains("scale", ex.Message, StringComparison.Ordinal);
    }
}
