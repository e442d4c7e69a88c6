namespace PgOptimizer.Monitoring;

/// <summary>What changed between two snapshots, as rates and deltas (never "since stats reset").</summary>
public sealed record ServerInterval(
    DateTimeOffset From,
    DateTimeOffset To,
    double Seconds,
    double CommitsPerSecond,
    double RollbacksPerSecond,
    double? CacheHitRatio,
    long Deadlocks,
    double TempBytesPerSecond,
    double RowsWrittenPerSecond,
    IReadOnlyList<StatementInterval> TopStatements,
    ServerSnapshot Current,
    bool CountersReset);
