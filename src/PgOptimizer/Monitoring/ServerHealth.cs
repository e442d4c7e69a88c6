namespace PgOptimizer.Monitoring;

/// <summary>What the server reported at this evaluation.</summary>
public sealed record ServerHealth(
    int Connections,
    int MaxConnections,
    double? LongestTransactionSeconds,
    int BlockedSessions,
    long DeadlocksInInterval,
    IReadOnlyList<ReplicaLag> Replicas,
    long WraparoundAge,
    long DatabaseBytes,
    double? CommitsPerSecond);
