using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PgOptimizer.Caching;

// Warm-up: registered keys loaded at start, and one-off samples of traffic.
public sealed partial class SmartCache
{
    /// <summary>Registers a key to load at start-up and on <see cref="WarmupAsync"/>.</summary>
    public void AddWarmup<T>(string key, string strategy, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Strategy(strategy); // fails now for an unknown strategy, not at warm-up
        var list = tags?.ToList();
        lock (_warmup)
        {
            _warmup.Add(new WarmupItem(key, strategy, ct => GetOrSetAsync(key, factory, strategy, list, ct).AsTask()));
        }
    }

    /// <summary>Loads every registered warm-up key, a few at a time; failures are reported, not thrown.</summary>
    public Task<WarmupReport> WarmupAsync(CancellationToken cancellationToken = default)
    {
        List<WarmupItem> items;
        lock (_warmup)
        {
            items = [.. _warmup];
        }

        return RunWarmupAsync(items, cancellationToken);
    }

    /// <summary>
    /// Loads the given keys once, a few at a time, without registering them for later warm-ups (e.g. a
    /// sample of recent traffic); failures are reported, not thrown.
    /// </summary>
    public Task<WarmupReport> WarmupOnceAsync<T>(IEnumerable<CacheWarmupEntry<T>> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var items = new List<WarmupItem>();
        foreach (var e in entries)
        {
            ArgumentNullException.ThrowIfNull(e.Factory);
            Strategy(e.Strategy);
            var tags = e.Tags?.ToList();
            items.Add(new WarmupItem(e.Key, e.Strategy, ct => GetOrSetAsync(e.Key, e.Factory, e.Strategy, tags, ct).AsTask()));
        }

        return RunWarmupAsync(items, cancellationToken);
    }

    private async Task<WarmupReport> RunWarmupAsync(List<WarmupItem> items, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = _options.WarmupConcurrency, CancellationToken = cancellationToken }, async (item, ct) =>
        {
            try
            {
                await item.Load(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed.Add(item.Key);
                LogWarmupFailed(_logger, item.Key, item.Strategy, ex.Message);
            }
        }).ConfigureAwait(false);
        return new WarmupReport(items.Count, items.Count - failed.Count, [.. failed], Stopwatch.GetElapsedTime(started));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache warm-up of {Key} ({Strategy}) failed: {Reason}")]
    private static partial void LogWarmupFailed(ILogger logger, string key, string strategy, string reason);

    private sealed record WarmupItem(string Key, string Strategy, Func<CancellationToken, Task> Load);
}
