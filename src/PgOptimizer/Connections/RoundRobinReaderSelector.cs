namespace PgOptimizer.Connections;

/// <summary>Round robin over replicas that accept requests (a retry avoids the one that failed), else the primary.</summary>
internal sealed class RoundRobinReaderSelector : IReaderSelector
{
    private uint _next;

    public PgEndpoint SelectReader(in ReadRequest request)
    {
        var replicas = request.Replicas;
        var count = replicas.Count;
        if (count == 0 || request.QueryType == QueryType.Consistent)
        {
            return request.Primary;
        }

        var start = Interlocked.Increment(ref _next);
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < count; i++)
            {
                var candidate = replicas[(int)((start + (uint)i) % (uint)count)];
                if ((pass == 1 || !ReferenceEquals(candidate, request.LastFailed)) && candidate.HasReplayed(request.MinWalPosition)
                    && candidate.AcceptsRequests && candidate.TryClaimProbe())
                {
                    return candidate;
                }
            }
        }

        return request.Primary;
    }
}
