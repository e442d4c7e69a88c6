using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Connections;

public class RedisConnectionTests
{
    [Fact]
    public async Task Pings_the_real_redis()
    {
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        var ping = await redis.PingAsync();
        Assert.NotNull(ping);
        Assert.StartsWith("7.", ping!.ServerVersion, StringComparison.Ordinal);
        Assert.NotNull(await redis.TryGetDatabaseAsync());
    }

    [Fact]
    public async Task Unreachable_redis_degrades_without_throwing()
    {
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = "redis://:pw@127.0.0.1:1/0", Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Null(await redis.PingAsync());
        Assert.Null(await redis.TryGetDatabaseAsync());
        Assert.False(redis.IsConnected);
    }

    [Fact]
    public async Task Not_configured_means_none()
    {
        await using var redis = new RedisConnection(Options.Create(new RedisOptions()));
        Assert.False(redis.IsConfigured);
        Assert.Null(await redis.PingAsync());
    }
}
