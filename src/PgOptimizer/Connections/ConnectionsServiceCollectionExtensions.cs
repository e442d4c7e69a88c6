using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Connections;

/// <summary>Wires the connection manager, Redis and their health checks.</summary>
public static class ConnectionsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="PgConnectionManager"/>, <see cref="RedisConnection"/> and health checks per endpoint.</summary>
    public static IServiceCollection AddPgConnections(this IServiceCollection services, Action<ConnectionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<ConnectionOptions>().ValidateOnStart();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.AddOptions<RedisOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConnectionOptions>, ConnectionOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>());
        services.TryAddSingleton<IReaderSelector, RoundRobinReaderSelector>();
        services.TryAddSingleton<PgConnectionManager>();
        services.TryAddSingleton<RedisConnection>();

        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("pgopt-primary", sp => new PgEndpointHealthCheck(sp.GetRequiredService<PgConnectionManager>().Primary), HealthStatus.Unhealthy, ["pgopt", "db"]))
            .Add(new HealthCheckRegistration("pgopt-replicas", sp => new ReplicasHealthCheck(sp.GetRequiredService<PgConnectionManager>()), HealthStatus.Degraded, ["pgopt", "db"]));
        return services;
    }

    /// <summary>Binds <see cref="ConnectionOptions"/> and <see cref="RedisOptions"/> from a configuration section.</summary>
    public static IServiceCollection AddPgConnections(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddPgConnections();
        services.Configure<ConnectionOptions>(section.GetSection("Connections"));
        services.Configure<RedisOptions>(section.GetSection("Redis"));
        return services;
    }
}
