using System.Diagnostics;
using HdrHistogram;
using HdrHistogram.Encoding;
using HdrHistogram.Utilities;

namespace PgOptimizer.Diagnostics;

/// <summary>
/// A thread-safe latency histogram (HdrHistogram, microseconds from 1 µs to 1 h, two significant
/// digits: every percentile within 1 %). Recording is lock-free; reading takes a consistent copy.
/// All PgOptimizer histograms share this configuration so that they can be merged across
/// instances (<see cref="Encode"/> / <see cref="Decode"/>).
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Smallest recorded value: 1 µs.</summary>
    public const long Lowest = 1;

    /// <summary>Largest recorded value (longer ones are recorded as this): 1 h in µs.</summary>
    public const long Highest = 3_600_000_000;

    /// <summary>Significant decimal digits: 2, every percentile within 1 %.</summary>
    public const int Digits = 2;

    /// <summary>Upper bounds (seconds) of the Prometheus buckets PgOptimizer exports.</summary>
    public static readonly double[] PrometheusBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private const int CookieBaseV2 = 0x1c849303;
    private const int CompressedCookieBaseV2 = 0x1c849304;
    private static readonly double TicksToMicros = 1_000_000.0 / Stopwatch.Frequency;
    private readonly LongConcurrentHistogram _histogram = new(Lowest, Highest, Digits);
    [ThreadStatic]
    private static ByteBuffer? t_encodeBuffer;
    [ThreadStatic]
    private static HistogramBase? t_copy;
    private EncodedCopy? _encoded;

    /// <summary>Records a duration measured with <see cref="Stopwatch.GetTimestamp"/>.</summary>
    public void RecordTicks(long stopwatchTicks) => RecordMicroseconds((long)(stopwatchTicks * TicksToMicros));

    /// <summary>Records a duration in microseconds (clamped to 1 µs – 1 h).</summary>
    public void RecordMicroseconds(long microseconds) =>
        _histogram.RecordValue(Math.Clamp(microseconds, Lowest, Highest));

    /// <summary>Values recorded so far.</summary>
    public long Count => _histogram.TotalCount;

    /// <summary>A consistent copy of the counts.</summary>
    public HistogramBase Snapshot() => _histogram.Copy();

    /// <summary>
    /// <see cref="Encode"/> of a copy of the counts, encoded again only when values were recorded
    /// since the last call: a copy and its encoding walk every bucket (about 3 300), and a monitor
    /// publishing every few seconds would otherwise redo that for every histogram that is idle.
    /// </summary>
    public string EncodeSnapshot()
    {
        var count = _histogram.TotalCount;
        var last = Volatile.Read(ref _encoded);
        if (last is not null && last.Count == count)
        {
            return last.Encoded; // counts only grow: an equal total means nothing was recorded since
        }

        var encoded = EncodeCopy(_histogram);
        Volatile.Write(ref _encoded, new EncodedCopy(count, encoded));
        return encoded;
    }

    private sealed record EncodedCopy(long Count, string Encoded);

    /// <summary>A new empty histogram of the shared configuration.</summary>
    public static HistogramBase CreateEmpty() => new LongHistogram(Lowest, Highest, Digits);

    /// <summary>A new empty histogram of the shared configuration that several threads may record into.</summary>
    public static HistogramBase CreateConcurrent() => new LongConcurrentHistogram(Lowest, Highest, Digits);

    /// <summary>A value in µs clamped to the recordable range.</summary>
    public static long Clamp(long microseconds) => Math.Clamp(microseconds, Lowest, Highest);

    /// <summary>Count, mean, p50/p95/p99 and max in milliseconds.</summary>
    public LatencySummary Summarize() => Summarize(Snapshot());

    /// <summary>Count, mean, p50/p95/p99 and max in milliseconds of a histogram of microseconds.</summary>
    public static LatencySummary Summarize(HistogramBase h)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.TotalCount == 0)
        {
            return LatencySummary.Empty;
        }

        static double Ms(double micros) => Math.Round(micros / 1000.0, 3);
        return new LatencySummary(
            h.TotalCount,
            Ms(h.GetMean()),
            Ms(h.GetValueAtPercentile(50)),
            Ms(h.GetValueAtPercentile(95)),
            Ms(h.GetValueAtPercentile(99)),
            Ms(h.GetMaxValue()));
    }

    /// <summary>Cumulative counts at each upper bound (seconds), as Prometheus buckets want them.</summary>
    public static long[] CumulativeCounts(HistogramBase h, IReadOnlyList<double> upperBoundsSeconds)
    {
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(upperBoundsSeconds);
        var result = new long[upperBoundsSeconds.Count];
        foreach (var v in h.RecordedValues())
        {
            // the bucket's representative value (lowest equivalent) decides where its count goes
            var seconds = h.LowestEquivalentValue(v.ValueIteratedTo) / 1_000_000.0;
            for (var i = 0; i < result.Length; i++)
            {
                if (seconds <= upperBoundsSeconds[i])
                {
                    result[i] += v.CountAtValueIteratedTo;
                }
            }
        }

        return result;
    }

    /// <summary>Approximate sum of all values in seconds (for Prometheus' _sum).</summary>
    public static double SumSeconds(HistogramBase h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return h.TotalCount == 0 ? 0 : h.GetMean() * h.TotalCount / 1_000_000.0;
    }

    /// <summary>
    /// What <paramref name="current"/> recorded after <paramref name="previous"/> (both cumulative
    /// histograms of the same source); null when current is not a continuation of previous.
    /// </summary>
    public static HistogramBase? Difference(HistogramBase current, HistogramBase? previous)
    {
        ArgumentNullException.ThrowIfNull(current);
        var result = CreateEmpty();
        if (previous is null)
        {
            result.Add(current);
            return result;
        }

        if (current.TotalCount < previous.TotalCount)
        {
            return null;
        }

        foreach (var v in current.RecordedValues())
        {
            var count = v.CountAtValueIteratedTo - previous.GetCountAtValue(v.ValueIteratedTo);
            if (count < 0)
            {
                return null;
            }

            if (count > 0)
            {
                result.RecordValueWithCount(v.ValueIteratedTo, count);
            }
        }

        return result;
    }

    /// <summary>
    /// <see cref="Encode"/> of a histogram others record into: its counts are copied first into a
    /// histogram this thread keeps for the purpose (HdrHistogram's encoder walks the recorded values
    /// and fails when they change under it), so an encoding allocates only its result.
    /// </summary>
    internal static string EncodeCopy(HistogramBase live)
    {
        var copy = t_copy ??= CreateEmpty();
        copy.Reset();
        copy.Add(live);
        return Encode(copy);
    }

    /// <summary>
    /// HdrHistogram's standard V2 encoding, base64: the counts as ZigZag LEB128 words with runs of
    /// empty buckets folded into one, what every HdrHistogram implementation decodes. Not deflated: a
    /// latency histogram's encoding is a few hundred bytes, and deflating it took about twice the
    /// encoding's own time and a compressor's buffers on every monitor tick.
    /// </summary>
    public static string Encode(HistogramBase h)
    {
        ArgumentNullException.ThrowIfNull(h);
        var needed = h.GetNeededByteBufferCapacity();
        var buffer = t_encodeBuffer;
        if (buffer is null || buffer.Capacity() < needed)
        {
            buffer = ByteBuffer.Allocate(needed);
            t_encodeBuffer = buffer; // one per thread that encodes, reused: the worst case is the whole counts array
        }

        buffer.Position = 0;
        var length = h.Encode(buffer, HistogramEncoderV2.Instance);
        buffer.Position = 0;
        var bytes = length <= 2048 ? stackalloc byte[length] : new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get(); // ByteBuffer copies on Allocate(byte[]) and has no public array accessor
        }

        return Convert.ToBase64String(bytes);
    }

    /// <summary>Decodes <see cref="Encode"/>'s output; throws <see cref="FormatException"/> for anything else.</summary>
    public static HistogramBase Decode(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        try
        {
            var bytes = Convert.FromBase64String(encoded);
            var buffer = ByteBuffer.Allocate(bytes);
            // the deflated form is what earlier versions published (snapshots in Redis, exports)
            var cookie = bytes.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes) & ~0xF0 : 0;
            var decoded = cookie switch
            {
                CookieBaseV2 => HistogramEncoding.DecodeFromByteBuffer(buffer, Highest, null),
                CompressedCookieBaseV2 => HistogramEncoding.DecodeFromCompressedByteBuffer(buffer, Highest),
                _ => throw new FormatException("Not an encoded PgOptimizer latency histogram: the HdrHistogram V2 header is missing."),
            };
            var result = CreateEmpty();
            result.Add(decoded);
            return result;
        }
        catch (Exception ex) when (ex is not FormatException and not OutOfMemoryException)
        {
            throw new FormatException("Not an encoded PgOptimizer latency histogram.", ex);
        }
    }
}
