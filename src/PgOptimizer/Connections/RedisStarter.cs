using Microsoft.Extensions.Hosting;

namespace PgOptimizer.Connections;

/// <summary>Starts connecting to Redis when the host starts, without waiting for it.</summary>
internal sealed class RedisStarter(RedisConnection redis) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.StartConnecting();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
