using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>
/// Resolves settings (flags, then environment, then appsettings) and builds the library's services.
/// </summary>
public static class CliRuntime
{
    /// <summary>The resolved connection settings, before any connection is made.</summary>
    public sealed record Resolved(string? Connection, IReadOnlyList<string> Replicas, string? Redis, IConfiguration Configuration, string ConnectionSource)
    {
        /// <summary>The application whose Redis keys the command reads and writes (PGOPT_APPLICATION); null for the configured one, else "pgopt".</summary>
        public string? Application { get; init; }
    }

    public static Resolved Resolve(DatabaseSettings settings, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string? Env(string name) => environment is not null
            ? environment.GetValueOrDefault(name)
            : Environment.GetEnvironmentVariable(name);

        var builder = new ConfigurationBuilder();
        if (settings.ConfigFile is { } file)
        {
            if (!File.Exists(file))
            {
                throw new PgOptimizerConfigurationException($"The configuration file '{file}' does not exist. Give the path of an appsettings.json, or drop --config.");
            }

            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }
        else
        {
            builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true);
        }

        IConfiguration config;
        try
        {
            config = builder.Build();
        }
        catch (InvalidDataException ex)
        {
            throw new PgOptimizerConfigurationException($"The configuration file is not valid JSON: {ex.Message}");
        }

        var section = config.GetSection("PgOptimizer");
        string? connection;
        string source;
        if (!string.IsNullOrWhiteSpace(settings.Connection))
        {
            (connection, source) = (settings.Connection, "--connection");
        }
        else if (!string.IsNullOrWhiteSpace(Env("PGOPT_CONNECTION")))
        {
            (connection, source) = (Env("PGOPT_CONNECTION"), "PGOPT_CONNECTION");
        }
        else if (!string.IsNullOrWhiteSpace(Env("NEON_DATABASE_URL")))
        {
            (connection, source) = (Env("NEON_DATABASE_URL"), "NEON_DATABASE_URL");
        }
        else
        {
            (connection, source) = (section["Connections:ConnectionString"], "appsettings.json");
        }

        // Replicas belong to their primary: take them from the layer the primary came from, so that
        // a --connection given on the command line is never paired with replicas of another database
        // from the environment.
        IReadOnlyList<string> replicas = settings.Replicas is { Length: > 0 } r
            ? r
            : source == "--connection"
                ? []
                : source is "PGOPT_CONNECTION" or "NEON_DATABASE_URL"
                    ? Env("PGOPT_REPLICA_CONNECTIONS") is { Length: > 0 } envReplicas ? ConnectionsServiceCollectionExtensions.SplitList(envReplicas).ToList() : []
                    : section.GetSection("Connections:ReplicaConnectionStrings").Get<string[]>() ?? [];

        var redis = !string.IsNullOrWhiteSpace(settings.Redis) ? settings.Redis
            : !string.IsNullOrWhiteSpace(Env("REDIS_URL")) ? Env("REDIS_URL")
            : RedisOptions.FromUpstashRest(Env("UPSTASH_REDIS_REST_URL"), Env("UPSTASH_REDIS_REST_TOKEN")) ?? section["Redis:Url"];

        // Validate now, so bad input fails before anything connects.
        if (!string.IsNullOrWhiteSpace(connection))
        {
            ConnectionStringParser.Parse(connection, $"connection string (from {source})");
        }

        for (var i = 0; i < replicas.Count; i++)
        {
            ConnectionStringParser.Parse(ReplicaOptions.Parse(replicas[i]).ConnectionString!, $"replica connection string #{i + 1}");
        }

        if (!string.IsNullOrWhiteSpace(redis))
        {
            RedisOptions.ParseUrl(redis, TimeSpan.FromSeconds(2));
        }

        var application = Env("PGOPT_APPLICATION");
        if (!string.IsNullOrWhiteSpace(application) && RedisOptions.SafeApplicationName(application) != application.Trim())
        {
            throw new PgOptimizerConfigurationException($"PGOPT_APPLICATION '{application}' is not a usable application name: use 1-100 characters without spaces, ':', braces or glob characters (the name the application's host reports, IHostEnvironment.ApplicationName).");
        }

        return new Resolved(connection, replicas, redis, config, source) { Application = string.IsNullOrWhiteSpace(application) ? null : application.Trim() };
    }

    /// <summary>
    /// Says on stderr when Redis is configured but not reachable: the figures are then this
    /// process's alone, not the application instances'. Waits at most for Redis's first connection
    /// attempt (its timeout).
    /// </summary>
    public static async Task WarnIfRedisDownAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var redis = services.GetRequiredService<RedisConnection>();
        if (redis.IsConfigured && await redis.TryGetDatabaseAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            await Console.Error.WriteLineAsync($"warning: Redis at {redis.Description} is not reachable: these figures are this process's only, not the application instances' (start Redis or check REDIS_URL).").ConfigureAwait(false);
        }
    }

    /// <summary>Builds the service provider for a command.</summary>
    /// <param name="resolved">The connection settings the command resolved.</param>
    /// <param name="verbose">Log at information level (else errors only), to stderr.</param>
    /// <param name="tune">Connection options the command's flags change (pool size).</param>
    /// <param name="longRunning">
    /// The command serves traffic like an application (load test, demo): Redis writes and backplane
    /// messages go in the background as in an application. Otherwise the process ends right after its
    /// work, so they are made in the foreground and nothing is left unsent.
    /// </param>
    /// <param name="tuneCache">Cache options the command's flags change.</param>
    /// <param name="configure">Anything else the command changes, before options are validated.</param>
    public static ServiceProvider BuildServices(Resolved resolved, bool verbose, Action<ConnectionOptions>? tune = null, bool longRunning = false, Action<CacheOptions>? tuneCache = null, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        if (string.IsNullOrWhiteSpace(resolved.Connection))
        {
            throw new PgOptimizerConfigurationException(
                "No database connection is configured. Pass --connection postgresql://user:password@host:5432/db, set PGOPT_CONNECTION (or NEON_DATABASE_URL), or run 'pgopt demo' to start a local one.");
        }

        var services = new ServiceCollection();
        ConfigureServices(services, resolved, verbose, tune, longRunning, tuneCache, configure);
        return services.BuildServiceProvider();
    }

    /// <summary>Adds the library's services for a command to <paramref name="services"/> (a plain collection or a web host's).</summary>
    public static void ConfigureServices(IServiceCollection services, Resolved resolved, bool verbose, Action<ConnectionOptions>? tune = null, bool longRunning = false, Action<CacheOptions>? tuneCache = null, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(resolved);
        services.AddLogging(b =>
        {
            b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
            b.AddFilter((_, level) => level >= (verbose ? LogLevel.Information : LogLevel.Error));
            b.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        // The library's one wiring, bound from appsettings; below, only what the command's flags change.
        services.AddPgOptimizer(resolved.Configuration).AddPgOptimizerTools(resolved.Configuration);
        // The CLI also drives the demo application: every command knows its cache strategies, so
        // cache stats and invalidate see the keys a load test wrote.
        services.PostConfigure<CacheOptions>(PgOptimizer.Samples.Pitches.PitchesCaching.AddStrategies);
        if (!longRunning)
        {
            services.PostConfigure<CacheOptions>(o => o.BackgroundDistributedOperations = false);
        }
        else
        {
            // A load test is watched live from another terminal (pgopt replicas --watch, health):
            // publish every 2 s unless the configuration chose an interval.
            services.PostConfigure<PgOptimizer.Monitoring.MonitoringOptions>(o =>
            {
                if (o.Interval == PgOptimizer.Monitoring.MonitoringDefaults.Interval)
                {
                    o.Interval = TimeSpan.FromSeconds(2);
                }
            });
        }

        if (tuneCache is not null)
        {
            services.PostConfigure(tuneCache);
        }
        services.PostConfigure<ConnectionOptions>(o =>
        {
            o.ConnectionString = resolved.Connection;
            o.ReplicaConnectionStrings.Clear();
            foreach (var r in resolved.Replicas)
            {
                o.ReplicaConnectionStrings.Add(r);
            }

            tune?.Invoke(o);
        });
        services.PostConfigure<RedisOptions>(o =>
        {
            o.Url = resolved.Redis;
            o.ApplicationName = resolved.Application ?? o.ApplicationName;
        });
        configure?.Invoke(services);
    }
}
