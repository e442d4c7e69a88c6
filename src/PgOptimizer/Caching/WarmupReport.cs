namespace PgOptimizer.Caching;

/// <summary>What a warm-up did.</summary>
public sealed record WarmupReport(int Items, int Loaded, IReadOnlyList<string> Failed, TimeSpan Elapsed);
