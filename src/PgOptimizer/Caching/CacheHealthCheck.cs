using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PgOptimizer.Caching;

/// <summary>
/// The cache, from state it keeps anyway (no Redis call per check): Degraded while Redis is
/// configured but not attached (the memory tier alone serves, and invalidations reach no other
/// instance), or while another database's cache uses the same Redis key prefix (each may serve the
/// other's rows). Never Unhealthy: the database still answers every request.
/// </summary>
internal sealed class CacheHealthCheck(SmartCache cache) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["keyPrefix"] = cache.KeyPrefix,
            ["redis"] = !cache.UsesRedis ? "not used" : cache.RedisAttached ? "attached" : "not attached",
        };
        if (cache.DatabaseScope is { } scope)
        {
            data["database"] = scope;
        }

        var others = cache.DatabasesSharingKeyPrefix;
        if (others.Count > 0)
        {
            data["sharedWith"] = string.Join(", ", others);
            return Task.FromResult(HealthCheckResult.Degraded(
                $"the Redis key prefix {cache.KeyPrefix} is also used by the cache of {string.Join(", ", others)} (this one: {cache.DatabaseScope}): " +
                "each may serve the other's rows. Give each database's instances their own Caching:KeyPrefix (or PGOPT_APPLICATION); " +
                "if both names reach the same database, set the same Caching:DatabaseScope on both.", data: data));
        }

        if (cache.UsesRedis && !cache.RedisAttached)
        {
            return Task.FromResult(HealthCheckResult.Degraded("Redis is configured but not attached: the memory tier alone serves, and invalidations reach no other instance", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy(cache.UsesRedis ? "memory and Redis tiers" : "memory tier only (no Redis configured)", data));
    }
}
