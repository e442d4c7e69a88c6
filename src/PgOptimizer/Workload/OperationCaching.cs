namespace PgOptimizer.Workload;

/// <summary>How a read's result is cached: the strategy, the key and the tags, from its parameters.</summary>
public sealed record OperationCaching(string Strategy, Func<object?[], string> Key, Func<object?[], string[]> Tags);
