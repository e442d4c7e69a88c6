using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.Tests.Workload;

public class SqlNormalizerTests
{
    [Theory]
    [InlineData("SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = ?")]
    [InlineData("select *  from users\n where id=7 -- comment\n", "select * from users where id=?")]
    [InlineData("SELECT * FROM t WHERE name = 'O''Brien' AND x = E'a\\'b'", "SELECT * FROM t WHERE name = ? AND x = ?")]
    [InlineData("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (?)")]
    [InlineData("SELECT * FROM t WHERE id IN ($1, $2, $3)", "SELECT * FROM t WHERE id IN ($1...)")]
    [InlineData("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')", "INSERT INTO t (a, b) VALUES (?)")]
    [InlineData("SELECT $$body$$, 1.5e-3, -7 FROM t2 /* note */", "SELECT ?, ?, -? FROM t2")]
    [InlineData("SELECT \"Col1\" FROM t3 WHERE c = $1", "SELECT \"Col1\" FROM t3 WHERE c = $1")]
    [InlineData("SELECT x::numeric(10,2) FROM t", "SELECT x::numeric(?) FROM t")]
    public void Replaces_constants_and_keeps_structure(string sql, string expected) =>
        Assert.Equal(expected, SqlNormalizer.Statement(sql));

    [Fact]
    public void The_same_statement_with_other_constants_gets_the_same_id()
    {
        var a = SqlNormalizer.Statement("SELECT * FROM pitches WHERE id = 1 AND status = 'open'");
        var b = SqlNormalizer.Statement("SELECT * FROM pitches WHERE id = 99 AND status = 'closed'");
        Assert.Equal(a, b);
        Assert.Equal(SqlNormalizer.StatementId(a), SqlNormalizer.StatementId(b));
        Assert.Matches("^[0-9a-f]{16}$", SqlNormalizer.StatementId(a));
        Assert.NotEqual(SqlNormalizer.StatementId(a), SqlNormalizer.StatementId(SqlNormalizer.Statement("SELECT * FROM pitches WHERE id = 1")));
    }

    [Fact]
    public void Histograms_survive_encoding_and_merge()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (var i = 1; i <= 100; i++)
        {
            a.RecordMicroseconds(i * 1000); // 1..100 ms
            b.RecordMicroseconds(500_000);  // 500 ms
        }

        var merged = LatencyHistogram.CreateEmpty();
        merged.Add(LatencyHistogram.Decode(LatencyHistogram.Encode(a.Snapshot())));
        merged.Add(LatencyHistogram.Decode(LatencyHistogram.Encode(b.Snapshot())));
        var s = LatencyHistogram.Summarize(merged);
        Assert.Equal(200, s.Count);
        Assert.InRange(s.P50Ms, 99, 101);
        Assert.InRange(s.P99Ms, 495, 505);
        var buckets = LatencyHistogram.CumulativeCounts(merged, [0.01, 0.1, 1]);
        Assert.Equal([10, 100, 200], buckets);
        Assert.Throws<FormatException>(() => LatencyHistogram.Decode("not a histogram"));

        var window = LatencyHistogram.Difference(merged, a.Snapshot())!;
        Assert.Equal(100, window.TotalCount);
        Assert.InRange(LatencyHistogram.Summarize(window).P50Ms, 495, 505);
    }

    [Fact]
    public void An_encoded_snapshot_is_taken_again_only_after_new_values()
    {
        var h = new LatencyHistogram();
        h.RecordMicroseconds(1000);
        var first = h.EncodeSnapshot();
        Assert.Same(first, h.EncodeSnapshot()); // idle: the same encoding, not a new copy

        h.RecordMicroseconds(250_000);
        var second = h.EncodeSnapshot();
        Assert.NotSame(first, second);
        var decoded = LatencyHistogram.Summarize(LatencyHistogram.Decode(second));
        Assert.Equal(2, decoded.Count);
        Assert.InRange(decoded.MaxMs, 247, 253);
        Assert.Equal(LatencyHistogram.Encode(h.Snapshot()), second);
    }

    [Theory]
    [InlineData("SELECT id FROM pitches WHERE status = 'active' AND user_id = $1 ORDER BY published_at DESC LIMIT 20",
                "SELECT id FROM pitches WHERE status = $1 AND user_id = $2 ORDER BY published_at DESC LIMIT $3")]
    [InlineData("select * from t where to_tsvector('english', title) @@ plainto_tsquery('english', $1)",
                "SELECT * FROM t WHERE to_tsvector($1, title) @@ plainto_tsquery($2, $3)")]
    [InlineData("SELECT 1 FROM t WHERE kind = 'a'::text", "SELECT $1 FROM t WHERE kind = $2::text")]
    public void The_shape_of_the_application_sql_matches_pg_stat_statements_text(string application, string normalizedByPostgres) =>
        Assert.Equal(SqlNormalizer.Shape(normalizedByPostgres), SqlNormalizer.Shape(application));

    [Fact]
    public void Different_statements_have_different_shapes() =>
        Assert.NotEqual(SqlNormalizer.Shape("SELECT id FROM a WHERE x = $1"), SqlNormalizer.Shape("SELECT id FROM b WHERE x = $1"));
}
