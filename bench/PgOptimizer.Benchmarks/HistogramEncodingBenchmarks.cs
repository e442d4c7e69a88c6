using BenchmarkDotNet.Attributes;
using HdrHistogram;
using HdrHistogram.Utilities;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// What the monitor pays per histogram it publishes (every statement, endpoint and pool, each tick,
/// when values were recorded since the last): the encoding used now (the counts copied into a
/// histogram the thread reuses, then HdrHistogram V2) against the one before it (a new copy, then
/// V2 deflated).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
public class HistogramEncodingBenchmarks
{
    private readonly HistogramBase _concurrent = new LongConcurrentHistogram(LatencyHistogram.Lowest, LatencyHistogram.Highest, LatencyHistogram.Digits);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        for (var i = 0; i < 100_000; i++)
        {
            // a statement's latencies: mostly 0.1–2 ms with a long tail
            var micros = (long)(100 + (random.NextDouble() * random.NextDouble() * 50_000));
            _concurrent.RecordValue(micros);
        }
    }

    [Benchmark(Baseline = true, Description = "copy + V2 deflated (before)")]
    public string CopyAndDeflate()
    {
        var copy = _concurrent.Copy();
        var buffer = ByteBuffer.Allocate(copy.GetNeededByteBufferCapacity());
        var length = HistogramEncoding.EncodeIntoCompressedByteBuffer(copy, buffer);
        buffer.Position = 0;
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }

        return Convert.ToBase64String(bytes);
    }

    [Benchmark(Description = "reused copy + V2 (now)")]
    public string ReusedCopy() => LatencyHistogram.EncodeCopy(_concurrent);
}
