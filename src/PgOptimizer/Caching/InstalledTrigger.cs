namespace PgOptimizer.Caching;

/// <summary>A table whose commits notify the cache, and the columns each notification carries.</summary>
public sealed record InstalledTrigger(string Table, IReadOnlyList<string> Columns, string Channel);
