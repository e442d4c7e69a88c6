using PgOptimizer.Diagnostics;
using PgOptimizer.Monitoring;

namespace PgOptimizer.Tests.Monitoring;

public class QueryNormalizerTests
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
        Assert.Equal(expected, QueryNormalizer.Normalize(sql));

    [Fact]
    public void The_same_statement_with_other_constants_gets_the_same_id()
    {
        var a = QueryNormalizer.Normalize("SELECT * FROM pitches WHERE id = 1 AND status = 'open'");
        var b = QueryNormalizer.Normalize("SELECT * FROM pitches WHERE id = 99 AND status = 'closed'");
        Assert.Equal(a, b);
        Assert.Equal(QueryNormalizer.StatementId(a), QueryNormalizer.StatementId(b));
        Assert.Matches("^[0-9a-f]{16}$", QueryNormalizer.StatementId(a));
        Assert.NotEqual(QueryNormalizer.StatementId(a), QueryNormalizer.StatementId(QueryNormalizer.Normalize("SELECT * FROM pitches WHERE id = 1")));
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
}
