using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PgOptimizer.Connections;

/// <summary>Where Redis is. Optional: without it everything that uses Redis runs degraded (local only).</summary>
public sealed class RedisOptions : IValidatableObject
{
    /// <summary>redis://[user:password@]host[:port][/db] or rediss:// for TLS; empty for none.</summary>
    public string? Url { get; set; }

    /// <summary>
    /// The application's name in its Redis keys (cache entries, monitoring snapshots, sessions), so
    /// that applications sharing one Redis never meet while instances of one application share.
    /// Default: the host's <c>IHostEnvironment.ApplicationName</c> (the entry assembly's name).
    /// </summary>
    [RegularExpression(@"^[^\s:{}*?\[\]]{1,100}$", ErrorMessage = "ApplicationName must be 1-100 characters without spaces, ':', braces or glob characters.")]
    public string? ApplicationName { get; set; }

    /// <summary>The name used when none is configured and there is no host: the entry assembly's name.</summary>
    public static string DefaultApplicationName => System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "app";

    /// <summary>A host's application name made fit for keys (spaces and separators become '-'); null stays null.</summary>
    public static string? SafeApplicationName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var chars = name.Trim().Select(c => char.IsWhiteSpace(c) || c is ':' or '{' or '}' or '*' or '?' or '[' or ']' ? '-' : c).ToArray();
        var safe = new string(chars);
        return safe.Length > 100 ? safe[..100] : safe;
    }

    /// <summary>"pgopt:{application}:{concern}:" (or "pgopt:{application}:" without a concern).</summary>
    public static string KeyPrefix(string application, string? concern) =>
        concern is null ? $"pgopt:{application}:" : $"pgopt:{application}:{concern}:";

    /// <summary>Connect and operation timeout. Default 2 s.</summary>
    [DurationRange("00:00:00.010", "00:10:00")]
    public TimeSpan Timeout { get; set; } = ConnectionDefaults.RedisTimeout;

    /// <summary>
    /// Run the Redis client's socket I/O on the .NET thread pool rather than StackExchange.Redis's own
    /// dedicated threads. Default true: PgOptimizer only calls Redis asynchronously, and on small
    /// machines the dedicated threads spin for a large share of the CPU. Set false when the
    /// application blocks thread-pool threads (sync over async), so that Redis replies are still read
    /// while the pool is starved.
    /// </summary>
    public bool UseThreadPool { get; set; } = true;

    /// <summary>
    /// The Redis URL of an Upstash database given by its REST variables (UPSTASH_REDIS_REST_URL,
    /// UPSTASH_REDIS_REST_TOKEN): the same database's TLS endpoint, rediss://default:TOKEN@HOST:6379.
    /// Null when either is missing.
    /// </summary>
    /// <exception cref="PgOptimizerConfigurationException">The REST URL is not an https:// URL with a host.</exception>
    public static string? FromUpstashRest(string? restUrl, string? token)
    {
        if (string.IsNullOrWhiteSpace(restUrl) || string.IsNullOrWhiteSpace(token))
        {
            return null;
        }

        if (!Uri.TryCreate(restUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host))
        {
            throw new PgOptimizerConfigurationException("UPSTASH_REDIS_REST_URL must be the database's REST URL, https://<name>.upstash.io, as Upstash's console shows it.");
        }

        return $"rediss://default:{Uri.EscapeDataString(token.Trim())}@{uri.Host}:6379";
    }

    /// <summary>Parses <see cref="Url"/> into StackExchange.Redis options.</summary>
    /// <exception cref="PgOptimizerConfigurationException">The URL is malformed.</exception>
    public static ConfigurationOptions ParseUrl(string url, TimeSpan timeout)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new PgOptimizerConfigurationException("The Redis URL is empty. Write redis://host:6379/0 (or rediss:// for TLS).");
        }

        url = url.Trim();
        bool tls;
        if (url.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            tls = false;
        }
        else if (url.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            tls = true;
        }
        else
        {
            throw new PgOptimizerConfigurationException("The Redis URL must start with redis:// or rediss:// (TLS), as in redis://localhost:6379/0.");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new PgOptimizerConfigurationException("The Redis URL is not a valid URI; write redis://[user:password@]host[:port][/db].");
        }

        var options = new ConfigurationOptions
        {
            Ssl = tls,
            AbortOnConnectFail = false,
            ConnectTimeout = (int)timeout.TotalMilliseconds,
            SyncTimeout = (int)timeout.TotalMilliseconds,
            AsyncTimeout = (int)timeout.TotalMilliseconds,
            ConnectRetry = 1,
            ClientName = "pgoptimizer",
            // Redis is an accelerator here: while it is unreachable a command fails at once (the
            // cache's circuit breaker then skips it) instead of queueing until the timeout on the
            // caller's path.
            BacklogPolicy = BacklogPolicy.FailFast,
        };
        options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port);

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            var user = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                options.Password = Uri.UnescapeDataString(parts[1]);
                if (user.Length > 0 && user != "default")
                {
                    options.User = user;
                }
            }
            else
            {
                options.Password = user; // redis://password@host, as some providers write it
            }
        }

        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var db) || db > 15)
            {
                // not shown: a password with an unencoded '/' lands here
                throw new PgOptimizerConfigurationException("The Redis URL's database (the path after host:port) is not a number from 0 to 15; write redis://host:6379/0. A password containing '/', '?', '#' or '@' must be percent-encoded (%2F, %3F, %23, %40).");
            }

            options.DefaultDatabase = db;
        }

        return options;
    }

    /// <summary>host:port/db for display, without credentials.</summary>
    public static string Describe(ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return $"{(options.Ssl ? "rediss" : "redis")}://{string.Join(',', options.EndPoints.Select(e => e.ToString()))}/{options.DefaultDatabase ?? 0}";
    }

    /// <summary>A given <see cref="Url"/> must parse.</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Url))
        {
            return [];
        }

        try
        {
            ParseUrl(Url, Timeout);
            return [];
        }
        catch (PgOptimizerConfigurationException ex)
        {
            return [new ValidationResult(ex.Message, [nameof(Url)])];
        }
    }
}

/// <summary>Checks <see cref="RedisOptions"/> (generated from its attributes and rules).</summary>
[OptionsValidator]
internal sealed partial class RedisOptionsValidator : IValidateOptions<RedisOptions>;
