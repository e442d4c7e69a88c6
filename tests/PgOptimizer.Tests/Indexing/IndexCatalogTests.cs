using PgOptimizer.Indexing;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Workload;

namespace PgOptimizer.Tests.Indexing;

public class IndexCatalogTests
{
    [Fact]
    public void Demo_catalog_has_the_specs_indexes_verbatim()
    {
        var c = PitchesIndexes.Catalog;
        Assert.Equal(29, c.Indexes.Count);
        Assert.Contains(c.Indexes, d => d.Name == "idx_pitches_active_published" && d.Where == "status = 'active'");
        var sql = c.Indexes.ToDictionary(d => d.Name, d => d.ToCreateSql());
        Assert.Equal("CREATE INDEX CONCURRENTLY \"idx_users_email_active_hash\" ON \"users\" USING btree (\"email\", \"is_active\")", sql["idx_users_email_active_hash"]);
        Assert.Equal("CREATE UNIQUE INDEX CONCURRENTLY \"idx_users_username_unique\" ON \"users\" USING btree (\"username\")", sql["idx_users_username_unique"]);
        Assert.Equal("CREATE INDEX CONCURRENTLY \"idx_pitches_user_status_published\" ON \"pitches\" USING btree (\"user_id\", \"status\", \"published_at\")", sql["idx_pitches_user_status_published"]);
        Assert.EndsWith("WHERE status = 'active' AND visibility = 'public'", sql["idx_pitches_visibility_published"], StringComparison.Ordinal);
        Assert.Contains("USING brin (\"created_at\")", sql["idx_analytics_events_created_brin"], StringComparison.Ordinal);
        Assert.Contains(c.Indexes, d => d.Method == IndexMethod.Gin && d.Keys[0].Expression is not null);
        Assert.Contains(c.Indexes, d => d.Method == IndexMethod.Gin && d.Keys[0].OpClass == "jsonb_path_ops");
    }

    [Fact]
    public void Json_round_trips()
    {
        var c = PitchesIndexes.Catalog;
        var again = IndexCatalog.Parse(c.ToJson());
        Assert.Equal(c.Indexes.Select(d => d.ToCreateSql()), again.Indexes.Select(d => d.ToCreateSql()));
    }

    [Fact]
    public void Identifiers_are_quoted()
    {
        var d = new IndexDefinition { Name = "weird\"name", Table = "app.my table", Keys = [IndexKey.Col("select"), IndexKey.Col("x\"y", descending: true)], Include = ["from"] };
        Assert.Equal("CREATE INDEX CONCURRENTLY \"weird\"\"name\" ON \"app\".\"my table\" USING btree (\"select\", \"x\"\"y\" DESC) INCLUDE (\"from\")", d.ToCreateSql());
    }

    [Theory]
    [InlineData("""{"indexes":[{"name":"a","table":"t","columns":["c"],"method":"bitmap"}]}""", "method \"bitmap\"")]
    [InlineData("""{"indexes":[{"name":"a","table":"t","columns":[]}]}""", "non-empty \"columns\"")]
    [InlineData("""{"indexes":[{"name":"a","table":"t","columns":["c"]},{"name":"a","table":"t","columns":["d"]}]}""", "used 2 times")]
    [InlineData("""{"indexes":[{"name":"a","table":"t","columns":["c"],"method":"gin","unique":true}]}""", "only btree indexes can be unique")]
    [InlineData("""{"indexes":[{"name":"a","table":"t","columns":["c DESC"],"method":"brin"}]}""", "btree indexes only")]
    [InlineData("""{"indexes":[{"name":"a","table":"t","columns":["c"],"where":"x = 1; DROP TABLE t"}]}""", "may not contain ';'")]
    [InlineData("""{"indexes":[{"name":"a","table":"t","columns":["c"],"colour":"red"}]}""", "unknown property \"colour\"")]
    [InlineData("""{"indexes":[{"table":"t","columns":["c"]}]}""", "needs a \"name\"")]
    [InlineData("""{"idx":[]}""", "\"indexes\" array")]
    [InlineData("""not json""", "not valid JSON")]
    public void Malformed_catalogs_are_rejected_clearly(string json, string fragment)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => IndexCatalog.Parse(json));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status = 'active'", "(status = 'active'::text)")]
    [InlineData("to_tsvector('english', title || ' ' || body)", "to_tsvector('english'::regconfig, ((title || ' '::text) || body))")]
    [InlineData("created_at > now() - interval '1 day'", "(created_at > (now() - '1 day'::interval))")]
    [InlineData("read_at IS NULL", "(read_at IS NULL)")]
    public void Normalizer_makes_user_text_and_postgres_output_equal(string written, string printed)
    {
        Assert.Equal(SqlNormalizer.Expression(printed), SqlNormalizer.Expression(written.Replace("interval '1 day'", "'1 day'", StringComparison.Ordinal)));
    }

    [Fact]
    public void Normalizer_keeps_literals_apart()
    {
        Assert.NotEqual(SqlNormalizer.Expression("status = 'Active'"), SqlNormalizer.Expression("status = 'active'"));
        Assert.NotEqual(SqlNormalizer.Expression("a || ' ' || b"), SqlNormalizer.Expression("a || '' || b"));
    }
}
