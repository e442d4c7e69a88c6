namespace PgOptimizer.Caching;

/// <summary>
/// A hash of a cache key that is the same in every process and every run (unlike
/// <see cref="string.GetHashCode()"/>), for choosing the same sample of keys on every instance.
/// </summary>
internal static class KeyHash
{
    /// <summary>FNV-1a over the key's UTF-16 code units.</summary>
    public static uint Fnv1a(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    /// <summary>Whether the key is one of every <paramref name="every"/> keys.</summary>
    public static bool InSample(string key, int every) => Fnv1a(key) % (uint)every == 0;
}
