namespace PgOptimizer.Connections;

/// <summary>Round robin over available replicas, else the primary.</summary>
internal sealed class RoundRobinReaderSelector : IReaderSelector
{
    private uint _next;

    public PgEndpoint SelectReader(PgEndpoint primary, IReadOnlyList<PgEndpoint> replicas)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(replicas);
        var count = replicas.Count;
        if (count == 0)
        {
            return primary;
        }

        var start = Interlocked.Increment(ref _next);
        for (var i = 0; i < count; i++)
        {
            var candidate = replicas[(int)((start + (uint)i) % (uint)count)];
            if (candidate.CanAcceptRequest())
            {
                return candidate;
            }
        }

        return primary;
    }
}
