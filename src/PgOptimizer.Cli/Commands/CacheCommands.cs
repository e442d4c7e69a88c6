using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using PgOptimizer.Caching;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Monitoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Commands;

/// <summary>pgopt cache stats: per-strategy figures of every application instance (from Redis) and the keys Redis holds.</summary>
public sealed class CacheStatsCommand : AsyncCommand<DatabaseSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DatabaseSettings settings, CancellationToken cancellationToken)
    {
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var cache = services.GetRequiredService<SmartCache>();
        var redis = services.GetRequiredService<RedisConnection>();
        var monitor = services.GetRequiredService<DatabasePerformanceMonitor>();
        var all = await monitor.AggregateAsync(cancellationToken).ConfigureAwait(false);
        var keys = await cache.CountRedisKeysAsync(redis, cancellationToken: cancellationToken).ConfigureAwait(false);
        var local = cache.GetCounters().ToDictionary(c => c.Strategy, StringComparer.Ordinal);
        var rows = cache.StrategyNames.Order(StringComparer.Ordinal).Select(name =>
        {
            var c = all.Cache.FirstOrDefault(x => x.Strategy == name) ?? CacheStrategyCounters.Sum(name, []);
            // the lifetime and fail-safe window the instances report, else this configuration's
            var duration = c.DurationSeconds ?? local[name].DurationSeconds;
            var failSafe = c.FailSafeSeconds ?? local[name].FailSafeSeconds;
            var factory = LatencyHistogram.Summarize(LatencyHistogram.Decode(c.FactoryHistogram));
            return new
            {
                strategy = name, durationSeconds = duration, failSafeSeconds = failSafe, cachesNulls = c.CachesNulls || local[name].CachesNulls, c.MemoryHits, c.DistributedHits, c.Misses, c.HitRatio, c.StaleServed, c.Evictions, c.Writes, c.RawBytes, c.StoredBytes,
                c.CompressionRatio, factoryP95Ms = factory.P95Ms, redisKeys = keys?.GetValueOrDefault(name),
                redisOnMisses = !c.RedisBypassed, c.RedisBypasses, c.RedisCostMicrosPerMiss, c.RedisSavingMicrosPerMiss,
            };
        }).ToList();

        // The databases whose caches used this prefix within the last hour (their values may still be served).
        var others = keys is null ? [] : (await cache.ReadDatabasesOnKeyPrefixAsync(redis, cancellationToken).ConfigureAwait(false))
            .Where(d => d.Database != cache.DatabaseScope)
            .Select(d => new { database = d.Database, lastSeen = d.LastSeen })
            .ToList();

        if (settings.Json)
        {
            Output.WriteJson(new { instances = all.Instances, redis = redis.Description, redisConnected = keys is not null, keyPrefix = cache.KeyPrefix, database = cache.DatabaseScope, otherDatabases = others, strategies = rows });
            return ExitCodes.Ok;
        }

        AnsiConsole.MarkupLine($"{all.Instances} instance(s) reporting; Redis {(keys is null ? $"[yellow]at {Output.Esc(redis.Description ?? "-")} not available: this process's counters only[/]" : Output.Esc(redis.Description))}");
        if (others.Count > 0)
        {
            AnsiConsole.MarkupLine($"[yellow]The key prefix {Output.Esc(cache.KeyPrefix)} was also used within the last hour by the cache of {Output.Esc(string.Join(", ", others.Select(o => o.database)))}, not only this database's ({Output.Esc(cache.DatabaseScope ?? "-")}): each may serve the other's rows. Give each database its own PGOPT_APPLICATION or Caching:KeyPrefix.[/]");
        }

        var t = new Table().Border(TableBorder.Rounded).AddColumn("Strategy");
        foreach (var h in new[] { "Lifetime", "Fail-safe", "Memory hits", "Redis hits", "Misses", "Hit rate", "Stale", "Evictions", "Stored / raw", "Factory p95 ms", "Keys in Redis", "Redis on misses" })
        {
            t.AddColumn(new TableColumn(h).RightAligned());
        }

        foreach (var r in rows)
        {
            t.AddRow(Output.Esc(r.strategy), Span(r.durationSeconds), Span(r.failSafeSeconds), Output.N(r.MemoryHits), Output.N(r.DistributedHits), Output.N(r.Misses),
                r.HitRatio is { } h ? $"{h:P1}" : "-", Output.N(r.StaleServed), Output.N(r.Evictions),
                r.CompressionRatio is { } cr ? $"{cr:P0}" : "-", r.factoryP95Ms.ToString("N1", System.Globalization.CultureInfo.InvariantCulture), r.redisKeys is { } k ? Output.N(k) : "-", RedisTier(r.redisOnMisses, r.RedisCostMicrosPerMiss, r.RedisSavingMicrosPerMiss, brief: true));
        }

        AnsiConsole.Write(t);
        return ExitCodes.Ok;
    }

    private static string Span(double? seconds) => seconds switch
    {
        null => "-",
        0 => "off",
        >= 3600 when seconds % 3600 == 0 => $"{seconds / 3600:0} h",
        >= 60 when seconds % 60 == 0 => $"{seconds / 60:0} min",
        _ => $"{seconds:0.###} s",
    };

    /// <summary>Whether a strategy's misses go to Redis, with what Redis cost and saved per miss when measured.</summary>
    internal static string RedisTier(bool on, double? cost, double? saving, bool brief = false)
    {
        static string Time(double micros) => micros >= 1000 ? $"{micros / 1000:F1} ms" : $"{micros:F0} µs";
        var measured = cost is { } c && saving is { } s
            ? brief ? $" (cost {Time(c)}, saved {Time(s)})" : $" (a miss spent {Time(c)} on Redis, which saved {Time(s)} of queries per miss)"
            : string.Empty;
        return (on ? "yes" : "skipped") + measured;
    }
}

public sealed class CacheInvalidateSettings : DatabaseSettings
{
    [CommandOption("-t|--tag <TAG>")]
    [Description("A tag to invalidate in every strategy on every instance (repeat for several), e.g. pitch:42.")]
    public string[] Tags { get; init; } = [];

    [CommandOption("-s|--strategy <NAME>")]
    [Description("Clear a whole strategy on every instance (repeat for several).")]
    public string[] Strategies { get; init; } = [];
}

/// <summary>pgopt cache invalidate: tags or whole strategies, on every instance through Redis and the backplane.</summary>
public sealed class CacheInvalidateCommand : AsyncCommand<CacheInvalidateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CacheInvalidateSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Tags.Length == 0 && settings.Strategies.Length == 0)
        {
            throw new PgOptimizerConfigurationException("Say what to invalidate: --tag pitch:42 (repeatable) or --strategy pitch_details.");
        }

        var resolved = CliRuntime.Resolve(settings);
        if (resolved.Redis is null)
        {
            throw new PgOptimizerConfigurationException("Invalidation reaches the application instances through Redis: give --redis or set REDIS_URL.");
        }

        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var redis = services.GetRequiredService<RedisConnection>();
        if (await redis.PingAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            Console.Error.WriteLine($"Redis at {redis.Description} is not reachable; nothing was invalidated.");
            return ExitCodes.Findings;
        }

        var cache = services.GetRequiredService<SmartCache>();
        foreach (var s in settings.Strategies)
        {
            await cache.ClearStrategyAsync(s, cancellationToken).ConfigureAwait(false);
        }

        await cache.InvalidateByTagsAsync(settings.Tags, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(new { tags = settings.Tags, strategies = settings.Strategies });
        }
        else
        {
            AnsiConsole.MarkupLine($"Invalidated {settings.Tags.Length} tag(s) and {settings.Strategies.Length} strategy(ies) on every instance.");
        }

        return ExitCodes.Ok;
    }
}

public sealed class CacheTriggersSettings : DatabaseSettings
{
    [CommandArgument(0, "<ACTION>")]
    [Description("install, remove or list.")]
    public string Action { get; init; } = "list";

    [CommandOption("--table <TABLE>")]
    [Description("The table (schema.table; default schema public). Repeat for several.")]
    public string[] Tables { get; init; } = [];

    [CommandOption("--columns <COLUMNS>")]
    [Description("Columns each notification carries, comma-separated. Default: the primary key.")]
    public string? Columns { get; init; }
}

/// <summary>pgopt cache triggers install|remove|list: the triggers that make commits invalidate the cache.</summary>
public sealed class CacheTriggersCommand : AsyncCommand<CacheTriggersSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CacheTriggersSettings settings, CancellationToken cancellationToken)
    {
        var action = settings.Action.ToLowerInvariant();
        if (action is not ("install" or "remove" or "list"))
        {
            throw new PgOptimizerConfigurationException($"'{settings.Action}' is not install, remove or list.");
        }

        if (action != "list" && settings.Tables.Length == 0)
        {
            throw new PgOptimizerConfigurationException($"Name the table(s) to {action}: --table pitches.");
        }

        var columns = settings.Columns?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var resolved = CliRuntime.Resolve(settings);
        await using var services = CliRuntime.BuildServices(resolved, settings.Verbose);
        var triggers = services.GetRequiredService<CacheTriggers>();
        var changed = new List<object>();
        foreach (var table in settings.Tables)
        {
            if (action == "install")
            {
                var t = await triggers.InstallAsync(table, columns, cancellationToken).ConfigureAwait(false);
                changed.Add(new { table = t.Table, action, columns = t.Columns, channel = t.Channel });
            }
            else if (action == "remove")
            {
                var had = await triggers.RemoveAsync(table, cancellationToken).ConfigureAwait(false);
                changed.Add(new { table, action = had ? "removed" : "absent" });
            }
        }

        var installed = await triggers.ListAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.WriteJson(new { changed, installed });
            return ExitCodes.Ok;
        }

        foreach (var c in changed)
        {
            AnsiConsole.MarkupLine(Output.Esc(System.Text.Json.JsonSerializer.Serialize(c, Output.Json)));
        }

        var t2 = new Table().Border(TableBorder.Rounded).AddColumn("Table").AddColumn("Columns sent").AddColumn("Channel");
        foreach (var t in installed)
        {
            t2.AddRow(Output.Esc(t.Table), Output.Esc(string.Join(", ", t.Columns)), Output.Esc(t.Channel));
        }

        AnsiConsole.Write(t2);
        return ExitCodes.Ok;
    }
}
