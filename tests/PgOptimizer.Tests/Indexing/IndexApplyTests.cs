using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Indexing;

/// <summary>Plan and apply on the real server, on a freshly seeded demo database per test.</summary>
public sealed class IndexApplyTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(db => PitchesDemo.SeedAsync(db.DataSource, new SeedOptions { Scale = 0.002 }));
    private IndexManager _indexes = null!;

    private TempDatabase Db => _m.Db;

    public async Task InitializeAsync()
    {
        await _m.InitializeAsync();
        _indexes = new IndexManager(_m.Connections, Options.Create(new IndexingOptions { LockTimeout = TimeSpan.FromSeconds(2), LockRetries = 2 }));
    }

    public Task DisposeAsync() => _m.DisposeAsync();

    private Task<long> CountIndexesAsync() => Db.ScalarAsync<long>(
        "SELECT count(*) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'");

    private static IndexCatalog Catalog(params IndexDefinition[] defs) => new(defs);

    [Fact]
    public async Task Apply_builds_the_demo_catalog_and_a_second_apply_is_a_no_op()
    {
        var catalog = PitchesIndexes.Catalog;
        Assert.Equal(29, catalog.Indexes.Count);

        var first = await _indexes.ApplyAsync(catalog);
        Assert.True(first.Succeeded, string.Join("; ", first.Results.Where(r => r.Error is not null).Select(r => $"{r.Name}: {r.Error}")));
        Assert.Equal(29, first.Results.Count(r => r.Outcome == IndexApplyOutcome.Created));
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_index WHERE NOT indisvalid"));

        // Built in priority order.
        var priorities = first.Results.Select(r => catalog.Indexes.Single(d => d.Name == r.Name).Priority).ToList();
        Assert.Equal(priorities.Order(), priorities);

        var plan = await _indexes.PlanAsync(catalog);
        Assert.True(plan.IsNoOp);
        Assert.Equal(29, plan.Actions.Count(a => a.Kind == IndexActionKind.Unchanged));
        Assert.All(plan.Actions.Where(a => a.Kind == IndexActionKind.Unmanaged), a => Assert.Equal("primary key", a.Reason));

        // The tables that gained an expression index were analyzed: the planner has the expression's statistics.
        Assert.Equal(["public.pitches"], first.Analyzed);
        Assert.True(await Db.ScalarAsync<long>("SELECT count(*) FROM pg_stats WHERE tablename = 'idx_pitches_fulltext'") > 0);

        var before = await CountIndexesAsync();
        var second = await _indexes.ApplyAsync(catalog);
        Assert.Empty(second.Results);
        Assert.Empty(second.Analyzed);
        Assert.Equal(before, await CountIndexesAsync());
    }

    [Fact]
    public async Task Dry_run_prints_the_sql_and_changes_nothing()
    {
        var before = await CountIndexesAsync();
        var report = await _indexes.ApplyAsync(PitchesIndexes.Catalog, dryRun: true);
        Assert.True(report.DryRun);
        Assert.Empty(report.Results);
        var sql = report.Plan.Changes.SelectMany(a => a.Sql).ToList();
        Assert.Equal(29, sql.Count);
        Assert.Contains("CREATE INDEX CONCURRENTLY \"idx_pitches_visibility_published\" ON \"pitches\" USING btree (\"visibility\", \"published_at\") WHERE status = 'active' AND visibility = 'public'", sql);
        Assert.Equal(before, await CountIndexesAsync());
    }

    [Fact]
    public async Task A_failing_build_leaves_no_invalid_index_and_says_why()
    {
        // users.tenant_id repeats, so a unique index on it cannot be built.
        var catalog = Catalog(
            new IndexDefinition { Name = "idx_bad_unique_tenant", Table = "users", Keys = [IndexKey.Col("tenant_id")], Unique = true, Priority = 1 },
            new IndexDefinition { Name = "idx_good_after", Table = "users", Keys = [IndexKey.Col("created_at")], Priority = 2 });
        var report = await _indexes.ApplyAsync(catalog);

        Assert.False(report.Succeeded);
        var bad = report.Results.Single(r => r.Name == "idx_bad_unique_tenant");
        Assert.Equal(IndexApplyOutcome.Failed, bad.Outcome);
        Assert.Contains("23505", bad.Error, StringComparison.Ordinal);
        Assert.Contains("was dropped", bad.Error, StringComparison.Ordinal);
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'idx_bad_unique_tenant'"));
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_index WHERE NOT indisvalid"));
        // The failure does not stop the other builds.
        Assert.Equal(IndexApplyOutcome.Created, report.Results.Single(r => r.Name == "idx_good_after").Outcome);
    }

    [Fact]
    public async Task A_definition_naming_a_missing_column_is_refused_before_anything_runs()
    {
        var catalog = Catalog(
            new IndexDefinition { Name = "idx_fine", Table = "users", Keys = [IndexKey.Col("email")], Priority = 1 },
            new IndexDefinition { Name = "idx_typo", Table = "pitches", Keys = [IndexKey.Col("user_idd")] },
            new IndexDefinition { Name = "idx_no_table", Table = "pitchez", Keys = [IndexKey.Col("id")] },
            new IndexDefinition { Name = "idx_bad_where", Table = "pitches", Keys = [IndexKey.Col("user_id")], Where = "statuz = 'active'" },
            new IndexDefinition { Name = "idx_bad_opclass", Table = "pitches", Method = IndexMethod.Gin, Keys = [IndexKey.Col("metadata", opClass: "no_such_ops")] });
        var before = await CountIndexesAsync();

        var ex = await Assert.ThrowsAsync<PgOptimizerConfigurationException>(() => _indexes.ApplyAsync(catalog));
        Assert.Contains("no column \"user_idd\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("table pitchez does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains("idx_bad_where", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_ops", ex.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await CountIndexesAsync()); // not even the valid idx_fine was built
    }

    [Fact]
    public async Task Two_concurrent_applies_serialize_and_build_each_index_once()
    {
        var catalog = PitchesIndexes.Catalog;
        await using var otherConnections = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = Db.Connection }));
        var other = new IndexManager(otherConnections, Options.Create(new IndexingOptions()));

        var results = await Task.WhenAll(_indexes.ApplyAsync(catalog), other.ApplyAsync(catalog));

        Assert.All(results, r => Assert.True(r.Succeeded));
        // One of them built all 29; the other, planning only after the lock, found nothing to do.
        Assert.Equal([0, 29], results.Select(r => r.Results.Count).Order());
        Assert.Contains(results, r => r.Results.Count == 0 && r.WaitedForLock > TimeSpan.Zero);
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_index WHERE NOT indisvalid"));
    }

    [Fact]
    public async Task Plan_sees_rebuilds_invalid_leftovers_equivalents_and_unmanaged_indexes()
    {
        await Db.ExecAsync("""
            CREATE INDEX idx_users_email_active_hash ON users (email);                                        -- same name, other definition
            CREATE INDEX my_feed_index ON pitches (visibility, published_at) WHERE (status = 'active') AND visibility = 'public'; -- equivalent under another name
            CREATE INDEX legacy_sessions_ip ON sessions (ip);                                                  -- not in the catalog
            """);
        // An INVALID leftover: a concurrent unique build that failed.
        try
        {
            await Db.ExecAsync("CREATE UNIQUE INDEX CONCURRENTLY idx_follows_followee ON follows (followee_id)");
        }
        catch (Npgsql.PostgresException)
        {
        }

        var plan = await _indexes.PlanAsync(PitchesIndexes.Catalog);
        IndexAction A(string name) => plan.Actions.Single(a => a.Name == name);

        Assert.Equal(IndexActionKind.Rebuild, A("idx_users_email_active_hash").Kind);
        Assert.Contains("keys", A("idx_users_email_active_hash").Reason, StringComparison.Ordinal);
        Assert.Equal(IndexActionKind.Equivalent, A("idx_pitches_visibility_published").Kind);
        Assert.Contains("my_feed_index", A("idx_pitches_visibility_published").Reason, StringComparison.Ordinal);
        Assert.Equal(IndexActionKind.ReplaceInvalid, A("idx_follows_followee").Kind);
        Assert.Equal(IndexActionKind.Unmanaged, A("legacy_sessions_ip").Kind);

        var report = await _indexes.ApplyAsync(PitchesIndexes.Catalog);
        Assert.True(report.Succeeded, string.Join("; ", report.Results.Select(r => r.Error)));
        Assert.Equal(IndexApplyOutcome.Rebuilt, report.Results.Single(r => r.Name == "idx_users_email_active_hash").Outcome);
        Assert.Equal(IndexApplyOutcome.Replaced, report.Results.Single(r => r.Name == "idx_follows_followee").Outcome);
        Assert.True((await _indexes.PlanAsync(PitchesIndexes.Catalog)).IsNoOp);
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE indexname = 'legacy_sessions_ip'")); // never dropped unasked
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname LIKE '%_pgopt_new'"));
    }
}
