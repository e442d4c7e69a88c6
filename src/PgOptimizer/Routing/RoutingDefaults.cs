namespace PgOptimizer.Routing;

/// <summary>The defaults of <see cref="RoutingOptions"/>, in one place.</summary>
public static class RoutingDefaults
{
    /// <summary>The strategy: adaptive.</summary>
    public const LoadBalancingStrategy Strategy = LoadBalancingStrategy.Adaptive;

    /// <summary>A replica further behind than this leaves rotation: 30 s.</summary>
    public static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(30);

    /// <summary>A replica more WAL behind than this leaves rotation: 16 MiB.</summary>
    public const long MaxLagBytes = 16L << 20;

    /// <summary>A lagging replica rejoins below the limits minus this share of them: 0.2.</summary>
    public const double LagHysteresis = 0.2;

    /// <summary>Extra cost the adaptive strategy gives a replica per second of lag, in ms of latency: 10.</summary>
    public const double LagPenaltyMsPerSecond = 10;
}
