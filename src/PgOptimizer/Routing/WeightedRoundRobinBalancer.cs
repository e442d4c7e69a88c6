using PgOptimizer.Connections;

namespace PgOptimizer.Routing;

/// <summary>
/// Smooth weighted round robin (as nginx does it): each pick adds every candidate's weight to its
/// running score, takes the highest and subtracts the total from it, so 3:1 comes out as
/// a a b a rather than a a a b.
/// </summary>
internal sealed class WeightedRoundRobinBalancer : ILoadBalancer
{
    private readonly object _gate = new();
    private readonly Dictionary<PgEndpoint, long> _current = new(ReferenceEqualityComparer.Instance);

    public int Choose(List<PgEndpoint> candidates, long now)
    {
        lock (_gate)
        {
            long total = 0;
            var best = 0;
            long bestScore = long.MinValue;
            for (var i = 0; i < candidates.Count; i++)
            {
                var e = candidates[i];
                var score = _current.GetValueOrDefault(e) + e.Weight;
                _current[e] = score;
                total += e.Weight;
                if (score > bestScore)
                {
                    (best, bestScore) = (i, score);
                }
            }

            _current[candidates[best]] = bestScore - total;
            return best;
        }
    }
}
