namespace PgOptimizer.Routing;

/// <summary>How reads are spread over the replicas that qualify.</summary>
public enum LoadBalancingStrategy
{
    /// <summary>In turn ("round-robin").</summary>
    RoundRobin,

    /// <summary>In turn by weight, smoothly interleaved ("weighted-round-robin").</summary>
    WeightedRoundRobin,

    /// <summary>The replica with the fewest reads in flight ("least-connections").</summary>
    LeastConnections,

    /// <summary>Replicas in the application's region first, then the configured order ("geographic").</summary>
    Geographic,

    /// <summary>The replica with the lowest average latency, with an occasional read elsewhere to notice recovery ("latency").</summary>
    LatencyBased,

    /// <summary>The default: of two replicas drawn at random, the one with the lower peak-sensitive latency × (in flight + 1), lag as a penalty ("adaptive").</summary>
    Adaptive,
}
