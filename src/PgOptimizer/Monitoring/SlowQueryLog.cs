namespace PgOptimizer.Monitoring;

/// <summary>The most recent slow queries of this process, in a fixed-size ring.</summary>
public sealed class SlowQueryLog(int capacity)
{
    private readonly SlowQuery?[] _ring = new SlowQuery?[Math.Max(1, capacity)];
    private readonly Queue<SlowQuery> _unpublished = new();
    private readonly object _gate = new();
    private long _next;

    /// <summary>Slow queries kept at most.</summary>
    public int Capacity => _ring.Length;

    internal void Add(SlowQuery query)
    {
        lock (_gate)
        {
            _ring[_next++ % _ring.Length] = query;
            _unpublished.Enqueue(query);
            while (_unpublished.Count > _ring.Length)
            {
                _unpublished.Dequeue(); // not yet published and already out of the ring: dropped
            }
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<SlowQuery> Recent(int limit = int.MaxValue)
    {
        lock (_gate)
        {
            var list = new List<SlowQuery>();
            for (var k = 1; k <= Math.Min(_next, _ring.Length) && list.Count < limit; k++)
            {
                list.Add(_ring[(_next - k) % _ring.Length]!);
            }

            return list;
        }
    }

    /// <summary>Takes the slow queries not yet published to Redis.</summary>
    internal List<SlowQuery> TakeUnpublished()
    {
        lock (_gate)
        {
            var list = _unpublished.ToList();
            _unpublished.Clear();
            return list;
        }
    }

    /// <summary>Puts back what could not be published (Redis down), oldest first, within capacity.</summary>
    internal void ReturnUnpublished(List<SlowQuery> queries)
    {
        lock (_gate)
        {
            var pending = queries.Concat(_unpublished).TakeLast(_ring.Length).ToList();
            _unpublished.Clear();
            pending.ForEach(_unpublished.Enqueue);
        }
    }
}
