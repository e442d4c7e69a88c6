using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
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

        services.AddOptions<RedisOptions>().ValidateOnStart()
            .PostConfigure<IServiceProvider>((o, sp) => o.ApplicationName ??= RedisOptions.SafeApplicationName(sp.GetService<IHostEnvironment>()?.ApplicationName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConnectionOptions>, ConnectionOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>());
        services.TryAddSingleton<IReaderSelector, RoundRobinReaderSelector>();
        services.TryAddSingleton<PgConnectionManager>();
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<PrimaryReadinessProbe>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PrimaryReadinessService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisStarter>());

        // Readiness reads state kept in the background: a probe sends no query to PostgreSQL.
        if (!services.Any(d => d.ServiceType == typeof(PrimaryReadinessCheck)))
        {
            services.AddSingleton<PrimaryReadinessCheck>();
            services.AddHealthChecks()
                .Add(new HealthCheckRegistration("pgopt-primary", sp => sp.GetRequiredService<PrimaryReadinessCheck>(), HealthStatus.Unhealthy, [HealthTags.PgOptimizer, HealthTags.Ready]))
                .Add(new HealthCheckRegistration("pgopt-replicas", sp => new ReplicasHealthCheck(sp.GetRequiredService<PgConnectionManager>()), HealthStatus.Degraded, [HealthTags.PgOptimizer, HealthTags.Ready]));
        }
        return services;
    }

    /// <summary>
    /// Adds the connection manager, Redis and readiness, bound from <paramref name="configuration"/>'s
    /// section <paramref name="sectionName"/> (<c>Connections</c>, <c>Redis</c>), with the environment's
    /// PGOPT_CONNECTION, NEON_DATABASE_URL, PGOPT_REPLICA_CONNECTIONS, REDIS_URL and
    /// PGOPT_APPLICATION as fallbacks (read through <paramref name="configuration"/>, which in an
    /// ASP.NET Core app includes environment variables).
    /// </summary>
    public static IServiceCollection AddPgConnections(this IServiceCollection services, IConfiguration configuration, string sectionName = PgOptimizerSection)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPgConnections();
        // AddPgCaching, AddPgMonitoring and AddPgRouting call this too: bind once (binding a list twice appends).
        if (!FirstBinding(services, configuration, sectionName, "Connections"))
        {
            return services;
        }

        var section = configuration.GetSection(sectionName);
        services.Configure<ConnectionOptions>(section.GetSection("Connections"));
        services.Configure<RedisOptions>(section.GetSection("Redis"));
        services.PostConfigure<ConnectionOptions>(o =>
        {
            o.ConnectionString ??= configuration["PGOPT_CONNECTION"] ?? configuration["NEON_DATABASE_URL"];
            if (o.ReplicaConnectionStrings.Count == 0 && configuration["PGOPT_REPLICA_CONNECTIONS"] is { Length: > 0 } replicas)
            {
                foreach (var r in SplitList(replicas))
                {
                    o.ReplicaConnectionStrings.Add(r);
                }
            }
        });
        services.PostConfigure<RedisOptions>(o =>
        {
            o.Url ??= configuration["REDIS_URL"] is { Length: > 0 } url ? url
                : RedisOptions.FromUpstashRest(configuration["UPSTASH_REDIS_REST_URL"], configuration["UPSTASH_REDIS_REST_TOKEN"]);
            o.ApplicationName ??= RedisOptions.SafeApplicationName(configuration["PGOPT_APPLICATION"]);
        });
        return services;
    }

    /// <summary>
    /// True the first time a part of a section is bound into these services: the AddPgXxx calls
    /// overlap, and binding a list twice appends its items twice.
    /// </summary>
    internal static bool FirstBinding(IServiceCollection services, IConfiguration configuration, string sectionName, string part)
    {
        if (services.Any(d => d.ServiceType == typeof(BoundConfiguration) && d.ImplementationInstance is BoundConfiguration b
            && ReferenceEquals(b.Configuration, configuration) && b.Section == sectionName && b.Part == part))
        {
            return false;
        }

        services.AddSingleton(new BoundConfiguration(configuration, sectionName, part));
        return true;
    }

    /// <summary>Binds <typeparamref name="TOptions"/> to the section's <paramref name="part"/>, once however often it is called.</summary>
    internal static void BindOnce<TOptions>(IServiceCollection services, IConfiguration configuration, string sectionName, string part)
        where TOptions : class
    {
        if (FirstBinding(services, configuration, sectionName, part))
        {
            services.Configure<TOptions>(configuration.GetSection(sectionName).GetSection(part));
        }
    }

    private sealed record BoundConfiguration(IConfiguration Configuration, string Section, string Part);

    /// <summary>The configuration section PgOptimizer reads by default: "PgOptimizer".</summary>
    public const string PgOptimizerSection = "PgOptimizer";

    private static readonly System.Buffers.SearchValues<char> KeyCharacters = System.Buffers.SearchValues.Create(" abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    /// <summary>
    /// Splits a whitespace-separated list of connection strings. A word starts a new string when it
    /// is a URI; after a Key=Value string ("SSL Mode=Require" has a space), when it starts with a key
    /// that string already has (the next string's "Host=..."); after a URI, when it starts a
    /// Key=Value string. Otherwise it belongs to the string before it.
    /// </summary>
    public static IEnumerable<string> SplitList(string value)
    {
        var entries = new List<string>();
        System.Text.StringBuilder? current = null;
        foreach (var token in (value ?? string.Empty).Split([' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var continues = current is not null && !ConnectionStringParser.IsUri(token) && (ConnectionStringParser.IsUri(current.ToString())
                ? !StartsKeyValue(token) // a URI has no spaces, but a password pasted with one must stay in its URI (not be shown as a host)
                : !KeysOf(current.ToString()).Contains(FirstKey(token)));
            if (continues)
            {
                current!.Append(' ').Append(token);
                continue;
            }

            if (current is not null)
            {
                entries.Add(current.ToString());
            }

            current = new System.Text.StringBuilder(token);
        }

        if (current is not null)
        {
            entries.Add(current.ToString());
        }

        return entries;

        static bool StartsKeyValue(string token)
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            return eq > 0 && char.IsAsciiLetter(token[0]) && token.AsSpan(0, eq).IndexOfAnyExcept(KeyCharacters) < 0;
        }

        static string FirstKey(string token)
        {
            var end = token.IndexOfAny(['=', ';']);
            return (end < 0 ? token : token[..end]).Trim();
        }

        static HashSet<string> KeysOf(string text) =>
            text.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.IndexOf('=', StringComparison.Ordinal) is var eq && eq > 0 ? p[..eq].Trim() : null)
                .OfType<string>()
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
