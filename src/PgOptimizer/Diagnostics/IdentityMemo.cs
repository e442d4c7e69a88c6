using System.Runtime.CompilerServices;

namespace PgOptimizer.Diagnostics;

/// <summary>
/// The last answers for a few hundred keys, found by the key's identity: a command's SQL is almost
/// always the same string object call after call (a literal, a cached text), and its identity hash
/// is one read of the object header, where a dictionary of strings hashes every character on each
/// call. A slot holds one key; a key that collides or a string built anew each time is simply
/// answered again. Lock-free: a slot is replaced by one reference write.
/// </summary>
internal sealed class IdentityMemo<TKey, TValue>
    where TKey : class
{
    private readonly Entry?[] _slots;

    /// <param name="size">Slots, a power of two.</param>
    public IdentityMemo(int size = 256)
    {
        if (size <= 0 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A power of two is expected.");
        }

        _slots = new Entry?[size];
    }

    public bool TryGet(TKey key, out TValue value)
    {
        if (Volatile.Read(ref _slots[Slot(key)]) is { } entry && ReferenceEquals(entry.Key, key))
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public void Set(TKey key, TValue value) => Volatile.Write(ref _slots[Slot(key)], new Entry(key, value));

    private int Slot(TKey key) => RuntimeHelpers.GetHashCode(key) & (_slots.Length - 1);

    private sealed class Entry(TKey key, TValue value)
    {
        public readonly TKey Key = key;
        public readonly TValue Value = value;
    }
}
