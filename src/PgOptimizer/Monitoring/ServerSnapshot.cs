using PgOptimizer.Workload;

namespace PgOptimizer.Monitoring;

/// <summary>Everything one poll of the server saw.</summary>
public sealed record ServerSnapshot(
    DateTimeOffset At,
    DatabaseCounters Database,
    ConnectionFigures Connections,
    IReadOnlyList<ReplicaLag> Replicas,
    IReadOnlyList<TableVacuum> Tables,
    IReadOnlyList<StatementStatistics> Statements,
    long WraparoundAge,
    long DatabaseBytes,
    double? NeonFileCacheHitRatio);
