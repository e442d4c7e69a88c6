using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Tests.Connections;

public sealed class IdentityMemoTests
{
    [Fact]
    public void A_key_is_found_by_its_identity_not_by_an_equal_string()
    {
        var memo = new IdentityMemo<string, int>(8);
        var sql = "SELECT 1";
        var equal = new string("SELECT 1".AsSpan()); // same text, another object

        memo.Set(sql, 7);

        Assert.True(memo.TryGet(sql, out var value));
        Assert.Equal(7, value);
        Assert.False(memo.TryGet(equal, out _));
    }

    [Fact]
    public void Keys_sharing_a_slot_replace_each_other_and_are_never_confused()
    {
        var memo = new IdentityMemo<object, int>(1); // every key in one slot
        var a = new object();
        var b = new object();
        memo.Set(a, 1);
        memo.Set(b, 2);

        Assert.False(memo.TryGet(a, out _));
        Assert.True(memo.TryGet(b, out var value));
        Assert.Equal(2, value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-4)]
    public void The_size_is_a_power_of_two(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdentityMemo<string, bool>(size));

    [Fact]
    public void A_remembered_session_verdict_is_the_texts_own()
    {
        // the same verdicts a second time, now from the memo, for texts built at run time too
        string[] changing = ["SET search_path = x", string.Concat("LISTEN ", "ch")];
        string[] keeping = ["SET LOCAL work_mem = '64MB'", string.Concat("SELECT ", "1")];
        for (var round = 0; round < 2; round++)
        {
            Assert.All(changing, s => Assert.True(SessionStatements.ChangesSession(s), s));
            Assert.All(keeping, s => Assert.False(SessionStatements.ChangesSession(s), s));
        }
    }
}
