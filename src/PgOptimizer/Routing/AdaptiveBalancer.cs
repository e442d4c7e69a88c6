using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>
/// Power of two choices over peak-EWMA cost (Finagle's and Linkerd's balancer): draw two replicas at
/// random and take the cheaper, cost = peak-sensitive latency × (reads in flight + 1) / weight, plus
/// a penalty per second of lag. A slow replica's cost jumps with its first slow read and decays
/// while it is idle, so it is avoided at once and tried again later; drawing two rather than
/// scanning all keeps the choice O(1) and avoids herding onto one replica.
/// </summary>
internal sealed class AdaptiveBalancer(double lagPenaltyMsPerSecond) : ILoadBalancer
{
    public int Choose(List<PgEndpoint> candidates, long now)
    {
        var n = candidates.Count;
        if (n == 1)
        {
            return 0;
        }

        var a = Random.Shared.Next(n);
        var b = Random.Shared.Next(n - 1);
        if (b >= a)
        {
            b++;
        }

        return Cost(candidates[a], now) <= Cost(candidates[b], now) ? a : b;
    }

    internal double Cost(PgEndpoint e, long now)
    {
        var latency = Math.Max(e.Latency.PeakMs(now), 0.001);
        var lag = e.Lag?.Seconds ?? 0;
        return ((latency * (e.BusyConnections + 1)) + (lag * lagPenaltyMsPerSecond)) / e.Weight;
    }
}
