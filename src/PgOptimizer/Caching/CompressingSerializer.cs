using K4os.Compression.LZ4;
using ZiggyCreatures.Caching.Fusion.Serialization;

namespace PgOptimizer.Caching;

/// <summary>
/// The Redis tier's serializer for one strategy: System.Text.Json, then LZ4 when the strategy
/// compresses and the value is at least the threshold. One leading byte says which (0 plain, 1
/// LZ4), so the memory tier and callers never see the difference. Counts bytes before and after.
/// </summary>
internal sealed class CompressingSerializer(IFusionCacheSerializer inner, bool compress, int threshold, CacheStrategyStats stats, Action<Exception>? undecodable = null) : IFusionCacheSerializer
{
    private const byte Plain = 0;
    private const byte Lz4 = 1;

    public byte[] Serialize<T>(T? obj)
    {
        var raw = inner.Serialize(obj);
        byte[] result;
        if (compress && raw.Length >= threshold)
        {
            var packed = LZ4Pickler.Pickle(raw, LZ4Level.L00_FAST);
            result = new byte[packed.Length + 1];
            result[0] = Lz4;
            packed.CopyTo(result, 1);
        }
        else
        {
            result = new byte[raw.Length + 1];
            result[0] = Plain;
            raw.CopyTo(result, 1);
        }

        stats.OnSerialized(raw.Length, result.Length);
        return result;
    }

    public T? Deserialize<T>(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0)
        {
            throw new InvalidDataException("Empty cache payload.");
        }

        var body = data.AsSpan(1);
        try
        {
            return data[0] switch
            {
                Plain => inner.Deserialize<T>(body.ToArray()),
                Lz4 => inner.Deserialize<T>(LZ4Pickler.Unpickle(body)),
                _ => throw new InvalidDataException($"Unknown cache payload format {data[0]}."),
            };
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or NotSupportedException)
        {
            // e.g. written by a version of the application that cached another type under this key:
            // FusionCache treats it as a miss (ReThrowSerializationExceptions is off) and replaces it
            undecodable?.Invoke(ex);
            throw;
        }
    }

    public ValueTask<byte[]> SerializeAsync<T>(T? obj, CancellationToken token = default) => ValueTask.FromResult(Serialize(obj));

    public ValueTask<T?> DeserializeAsync<T>(byte[] data, CancellationToken token = default) => ValueTask.FromResult(Deserialize<T>(data));
}
