using PgOptimizer.Connections;

namespace PgOptimizer.Tests.Connections;

public class RedisOptionsTests
{
    [Fact]
    public void Parses_redis_and_rediss_urls()
    {
        var o = RedisOptions.ParseUrl("rediss://default:p%40ss@cache.example.com:6380/3", TimeSpan.FromSeconds(1));
        Assert.True(o.Ssl);
        Assert.Equal("p@ss", o.Password);
        Assert.Null(o.User);
        Assert.Equal(3, o.DefaultDatabase);
        Assert.Contains("cache.example.com:6380", RedisOptions.Describe(o), StringComparison.Ordinal);
        Assert.DoesNotContain("p@ss", RedisOptions.Describe(o), StringComparison.Ordinal);

        var plain = RedisOptions.ParseUrl("redis://localhost", TimeSpan.FromSeconds(1));
        Assert.False(plain.Ssl);
        Assert.Null(plain.Password);
        Assert.Contains("6379", RedisOptions.Describe(plain), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:6379", "redis://")]
    [InlineData("redis://:pw@localhost/99", "database (the path after host:port) is not a number")]
    [InlineData("redis://:pw@localhost/abc", "database (the path after host:port) is not a number")]
    [InlineData("", "empty")]
    public void Rejects_malformed_urls_clearly(string url, string fragment)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => RedisOptions.ParseUrl(url, TimeSpan.FromSeconds(1)));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", ex.Message, StringComparison.Ordinal);
    }
}
