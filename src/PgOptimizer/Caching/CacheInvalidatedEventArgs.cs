namespace PgOptimizer.Caching;

/// <summary>Tags a notification invalidated, and the time from its receipt to done.</summary>
public sealed class CacheInvalidatedEventArgs(IReadOnlyList<string> tags, TimeSpan elapsed) : EventArgs
{
    /// <summary>The invalidated tags.</summary>
    public IReadOnlyList<string> Tags { get; } = tags;

    /// <summary>From the notification's receipt to the invalidation done.</summary>
    public TimeSpan Elapsed { get; } = elapsed;
}
