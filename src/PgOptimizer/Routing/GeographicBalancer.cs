using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>
/// Replicas in the application's region first, then those of each preferred region in order, then
/// any; in turn within the nearest group.
/// </summary>
internal sealed class GeographicBalancer(string? home, IReadOnlyList<string> preference) : ILoadBalancer
{
    private uint _next;

    /// <summary>The application's region: configured, else the primary's (set by the router on first use).</summary>
    public string? Home { get; set; } = home;

    public int Choose(List<PgEndpoint> candidates, long now)
    {
        var bestRank = int.MaxValue;
        var count = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            var rank = Rank(candidates[i].Region);
            if (rank < bestRank)
            {
                (bestRank, count) = (rank, 1);
            }
            else if (rank == bestRank)
            {
                count++;
            }
        }

        var pick = (int)(Interlocked.Increment(ref _next) % (uint)count);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (Rank(candidates[i].Region) == bestRank && pick-- == 0)
            {
                return i;
            }
        }

        return 0;
    }

    private int Rank(string? region)
    {
        if (region is null)
        {
            return int.MaxValue - 1;
        }

        if (Home is { } h && string.Equals(region, h, StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        for (var i = 0; i < preference.Count; i++)
        {
            if (string.Equals(region, preference[i], StringComparison.OrdinalIgnoreCase))
            {
                return i + 1;
            }
        }

        return int.MaxValue - 2;
    }
}
