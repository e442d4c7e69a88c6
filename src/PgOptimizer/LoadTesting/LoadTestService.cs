using Npgsql;
using PgOptimizer.Caching;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Indexing;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Runs one load test the way <c>pgopt loadtest</c> and the demo do: builds the executor the plan
/// names (the toolkit with or without the cache, or plain Npgsql with the same pool), optionally
/// empties and warms the cache, runs <see cref="LoadTester"/>, and reports the cache's hit rate, the
/// ideal hit rate on the same requests and the run's index coverage beside the run.
/// </summary>
public sealed class LoadTestService(PgConnectionManager connections, SmartCache cache, IndexManager indexes, RedisConnection redis)
{
    /// <summary>Runs the plan against <paramref name="workload"/> with the operations drawn from <paramref name="mix"/>.</summary>
    public async Task<LoadTestResult> RunAsync(
        IWorkload workload, WorkloadMix mix, LoadTestPlan plan, IProgress<LoadTestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfNegative(plan.CacheWarmupRequests);
        if (plan.ProgressInterval is { } every && every < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(plan), every, "The progress interval must be at least one second.");
        }

        await using var raw = plan.Executor == LoadTestExecutor.RawNpgsql ? RawNpgsqlExecutor.BuildDataSource(connections) : null;
        IOperationExecutor database = raw is null ? new ConnectionManagerExecutor(connections) : RawNpgsqlExecutor.Create(raw);
        var cached = plan.Executor == LoadTestExecutor.Toolkit ? new CachedExecutor(database, cache) : null;
        if (cached is not null)
        {
            await cache.ConnectRedisAsync(cancellationToken).ConfigureAwait(false);
        }
        var executor = cached ?? database;

        if (cached is not null && plan.ClearCache)
        {
            foreach (var strategy in cache.StrategyNames.ToList())
            {
                await cache.ClearStrategyAsync(strategy, cancellationToken).ConfigureAwait(false);
            }
        }

        // The ideal hit rate assumes every key's first request misses: only true from an empty cache.
        var coldStart = cached is not null && (plan.ClearCache || !cache.UsesRedis || await RedisHoldsNoEntryAsync(cache, redis, cancellationToken).ConfigureAwait(false));
        WarmupReport? warmup = null;
        if (cached is not null && plan.CacheWarmupRequests > 0)
        {
            warmup = await WorkloadWarmup.RunAsync(workload, mix, database, cache, plan.CacheWarmupRequests, plan.Options.Seed, cached, cancellationToken).ConfigureAwait(false);
        }

        var cacheBefore = cached is null ? default : CacheTotals.Of(cache);
        var servers = connections.Endpoints.Select(e => e.DataSource).ToList();
        await using var cpu = await CpuMeter.CreateAsync(servers, redis, cancellationToken).ConfigureAwait(false);
        WorkloadProgress lastRun = default;
        var intervals = plan.ProgressInterval is { } length
            ? new IntervalRecorder(length, cpu, cached is null ? null : () => CacheTotals.Of(cache),
                progress is null ? null : i => progress.Report(new LoadTestProgress(lastRun, cached is null ? default : CacheTotals.Of(cache).Since(cacheBefore)) { Interval = i }))
            : null;
        var runProgress = progress is null && intervals is null ? null : new InlineProgress<WorkloadProgress>(p =>
        {
            lastRun = p;
            intervals?.Observe(p);
            progress?.Report(new LoadTestProgress(p, cached is null ? default : CacheTotals.Of(cache).Since(cacheBefore)));
        });
        LoadTestReport report;
        try
        {
            report = await LoadTester.RunAsync(workload, mix, executor, connections.Primary.DataSource, plan.Options, runProgress, raw,
                connections.Replicas.Select(r => r.DataSource).ToList(), cpu, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (intervals is not null)
            {
                await intervals.CompleteAsync().ConfigureAwait(false);
            }
        }

        var cacheTotals = cached is null ? default : CacheTotals.Of(cache).Since(cacheBefore);
        var coverage = await CoverageAsync(workload, report, cancellationToken).ConfigureAwait(false);
        var runsOn = raw is not null
            ? RawNpgsqlExecutor.Describe(connections)
            : $"connection manager on the primary and {connections.Replicas.Count} replica(s), pool {connections.Primary.MaxPoolSize} per endpoint";
        return new LoadTestResult(report, executor.Name, warmup, cacheTotals, coldStart ? cached!.IdealHitRate : null, coverage) {
            RunsOn = runsOn, Strategies = cached is null ? [] : cache.GetCounters(),
            IdealCacheHitRateWithInvalidation = coldStart ? cached!.IdealHitRateWithInvalidation : null,
            Intervals = intervals?.Intervals ?? [],
        };
    }

    /// <summary>
    /// Index coverage of a run: the share of its requests whose operation's generic plan scans no
    /// large table sequentially, uncovered operations named. Null when plans cannot be read.
    /// </summary>
    public async Task<IndexCoverage?> CoverageAsync(IWorkload workload, LoadTestReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(report);
        var sql = workload.Operations.ToDictionary(o => o.Name, o => o.Sql, StringComparer.Ordinal);
        var statements = report.Run.Operations.Where(o => o.Calls > 0)
            .Select(o => new StatementStatistics(0, sql[o.Name], o.Calls, o.Latency.MeanMs * o.Calls, o.Rows))
            .ToList();
        try
        {
            var coverage = await indexes.CoverageOfAsync(statements, cancellationToken).ConfigureAwait(false);
            var names = workload.Operations.ToDictionary(o => o.Sql, o => o.Name, StringComparer.Ordinal);
            return coverage with { Uncovered = coverage.Uncovered.Select(u => u with { Query = names.GetValueOrDefault(u.Query, u.Query) }).ToList() };
        }
        catch (NpgsqlException)
        {
            return null; // e.g. no privilege to explain: the run's other figures stand
        }
    }

    /// <summary>
    /// Whether Redis holds no entry of any strategy. A scan that fails or times out (a busy or
    /// restarting Redis) only means it is not known to be empty: the load test goes on, and its
    /// report compares the hit rate with no ideal rather than failing on a statistic.
    /// </summary>
    private static async Task<bool> RedisHoldsNoEntryAsync(SmartCache cache, RedisConnection redis, CancellationToken cancellationToken)
    {
        try
        {
            return await cache.CountRedisKeysAsync(redis, 1, cancellationToken).ConfigureAwait(false) is { } keys && keys.Values.Sum() == 0;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return false;
        }
    }
}
