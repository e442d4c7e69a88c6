using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ZiggyCreatures.Caching.Fusion.Locking;

namespace PgOptimizer.Caching;

/// <summary>
/// FusionCache's stampede protection (one factory run per key at a time) with a gate that lives only
/// while someone loads or waits for its key.
/// </summary>
/// <remarks>
/// FusionCache's default memory locker keeps a semaphore per key in a <c>MemoryCache</c> of its own
/// for five minutes after the key's last use, with an eviction callback each: every first miss of a
/// key paid a cache entry, a callback registration, a boxed state and a semaphore, the locker's
/// cache grew with the key space (a hundred thousand pitches: a hundred thousand semaphores held),
/// and its expiration scans walked all of them. Here a key's gate is created by its first loader,
/// joined by concurrent callers of the same key and removed by the last one out, so the locker holds
/// only the loads in flight. Keys never share a gate (no false waits, no deadlock when a factory
/// loads another key).
/// </remarks>
internal sealed class KeyedMemoryLocker : IFusionCacheMemoryLocker
{
    private readonly ConcurrentDictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    /// <summary>Loads in flight or waited for.</summary>
    public int Count => _gates.Count;

    public ValueTask<object?> AcquireLockAsync(string cacheName, string cacheInstanceId, string operationId, string key, TimeSpan timeout, ILogger? logger, CancellationToken token)
    {
        var gate = Join(key);
        Task<bool> wait;
        try
        {
            wait = gate.WaitAsync(timeout, token);
        }
        catch
        {
            Leave(key, gate);
            throw;
        }

        if (wait.IsCompletedSuccessfully)
        {
            return new ValueTask<object?>(Acquired(key, gate, wait.Result));
        }

        return AwaitAsync(this, key, gate, wait);

        static async ValueTask<object?> AwaitAsync(KeyedMemoryLocker locker, string key, Gate gate, Task<bool> wait)
        {
            bool acquired;
            try
            {
                acquired = await wait.ConfigureAwait(false);
            }
            catch
            {
                locker.Leave(key, gate);
                throw;
            }

            return locker.Acquired(key, gate, acquired);
        }
    }

    public object? AcquireLock(string cacheName, string cacheInstanceId, string operationId, string key, TimeSpan timeout, ILogger? logger, CancellationToken token)
    {
        var gate = Join(key);
        bool acquired;
        try
        {
            acquired = gate.Wait(timeout, token);
        }
        catch
        {
            Leave(key, gate);
            throw;
        }

        return Acquired(key, gate, acquired);
    }

    public void ReleaseLock(string cacheName, string cacheInstanceId, string operationId, string key, object? lockObj, ILogger? logger)
    {
        if (lockObj is Gate gate)
        {
            gate.Release();
            Leave(key, gate);
        }
    }

    public void Dispose()
    {
        // Nothing to release: a gate holds no wait handle unless one was asked for, and none is.
    }

    private Gate? Acquired(string key, Gate gate, bool acquired)
    {
        if (acquired)
        {
            return gate;
        }

        Leave(key, gate); // timed out: FusionCache runs the factory without the lock
        return null;
    }

    /// <summary>The key's gate with this caller counted in: the one in place, or a new one.</summary>
    private Gate Join(string key)
    {
        var spin = default(SpinWait);
        while (true)
        {
            if (_gates.TryGetValue(key, out var gate))
            {
                var users = Volatile.Read(ref gate.Users);
                if (users > 0 && Interlocked.CompareExchange(ref gate.Users, users + 1, users) == users)
                {
                    return gate;
                }

                // Its last user is leaving and about to remove it: a gate never comes back from zero.
                spin.SpinOnce();
                continue;
            }

            var fresh = new Gate();
            if (_gates.TryAdd(key, fresh))
            {
                return fresh;
            }
        }
    }

    private void Leave(string key, Gate gate)
    {
        if (Interlocked.Decrement(ref gate.Users) == 0)
        {
            _gates.TryRemove(new KeyValuePair<string, Gate>(key, gate));
        }
    }

    /// <summary>A key's semaphore with the count of callers holding or waiting for it.</summary>
    private sealed class Gate() : SemaphoreSlim(1, 1)
    {
        public int Users = 1;
    }
}
