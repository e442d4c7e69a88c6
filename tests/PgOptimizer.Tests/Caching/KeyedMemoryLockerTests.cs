using PgOptimizer.Caching;

namespace PgOptimizer.Tests.Caching;

/// <summary>The stampede lock: one holder per key, nothing kept once a key's loads are done.</summary>
public sealed class KeyedMemoryLockerTests
{
    private static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;

    [Fact]
    public async Task One_holder_per_key_the_next_waits_and_nothing_is_kept_afterwards()
    {
        var locker = new KeyedMemoryLocker();
        var first = await locker.AcquireLockAsync("c", "i", "o", "k", Forever, null, CancellationToken.None);
        Assert.NotNull(first);
        var second = locker.AcquireLockAsync("c", "i", "o", "k", Forever, null, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        Assert.Equal(1, locker.Count);

        // another key is not blocked by it, even when taken inside the first key's lock (a factory that loads another key)
        var other = await locker.AcquireLockAsync("c", "i", "o", "other", Forever, null, CancellationToken.None);
        Assert.NotNull(other);
        locker.ReleaseLock("c", "i", "o", "other", other, null);

        locker.ReleaseLock("c", "i", "o", "k", first, null);
        var next = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(next);
        locker.ReleaseLock("c", "i", "o", "k", next, null);
        Assert.Equal(0, locker.Count);
    }

    [Fact]
    public async Task A_timed_out_or_cancelled_wait_gives_no_lock_and_leaves_nothing_behind()
    {
        var locker = new KeyedMemoryLocker();
        var held = locker.AcquireLock("c", "i", "o", "k", Forever, null, CancellationToken.None);
        Assert.Null(await locker.AcquireLockAsync("c", "i", "o", "k", TimeSpan.FromMilliseconds(20), null, CancellationToken.None));
        using var cts = new CancellationTokenSource();
        var waiting = locker.AcquireLockAsync("c", "i", "o", "k", Forever, null, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        locker.ReleaseLock("c", "i", "o", "k", held, null);
        Assert.Equal(0, locker.Count);
    }

    [Fact]
    public async Task Many_callers_on_a_few_keys_never_hold_one_key_twice()
    {
        var locker = new KeyedMemoryLocker();
        var inside = new int[4];
        var overlaps = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 4000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var key = $"k{i % 4}";
            var handle = await locker.AcquireLockAsync("c", "i", "o", key, Forever, null, ct);
            if (Interlocked.Increment(ref inside[i % 4]) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            await Task.Yield();
            Interlocked.Decrement(ref inside[i % 4]);
            locker.ReleaseLock("c", "i", "o", key, handle, null);
        });
        Assert.Equal(0, overlaps);
        Assert.Equal(0, locker.Count);
    }
}
