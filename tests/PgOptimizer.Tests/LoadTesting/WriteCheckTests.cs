using PgOptimizer.LoadTesting;
using PgOptimizer.Samples.Pitches;

namespace PgOptimizer.Tests.LoadTesting;

/// <summary>Which upserts' reported rows the load test's write check can count.</summary>
public sealed class WriteCheckTests
{
    [Theory]
    [InlineData("INSERT INTO likes (user_id, pitch_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", false)]
    [InlineData("insert into t (a) select x from s where y = '(' on conflict do nothing", false)]
    [InlineData("WITH liked AS (INSERT INTO likes (user_id, pitch_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING pitch_id) UPDATE pitches SET like_count = like_count + 1 WHERE id IN (SELECT pitch_id FROM liked)", true)]
    [InlineData("WITH x AS (SELECT ')' AS p) INSERT INTO t (a) SELECT p FROM x ON CONFLICT DO NOTHING", false)]
    [InlineData("UPDATE pitches SET title = $2 WHERE id = $1", false)]
    public void An_insert_inside_a_with_reports_the_outer_statements_rows(string sql, bool nested) =>
        Assert.Equal(nested, LoadTester.InsertIsNested(sql));

    [Fact]
    public void The_demo_like_is_checked_by_its_update_of_the_pitch() =>
        Assert.True(LoadTester.InsertIsNested(PitchesWorkload.LikeSql));
}
