namespace PgOptimizer.Workload;

/// <summary>The tags a write makes stale (from its parameters) and the strategies that hold them.</summary>
public sealed record OperationInvalidation(Func<object?[], string[]> Tags, string[] Strategies);
