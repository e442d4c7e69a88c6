using HdrHistogram;
using HdrHistogram.Utilities;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Tests.Monitoring;

public sealed class LatencyHistogramEncodingTests
{
    [Fact]
    public void A_live_histogram_encodes_without_deflate_and_decodes_to_the_same_counts()
    {
        var live = new LatencyHistogram();
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            live.RecordMicroseconds((long)(50 + random.NextDouble() * random.NextDouble() * 200_000));
        }

        live.RecordMicroseconds(3_000_000_000); // a value near the top of the range

        var encoded = live.EncodeSnapshot();
        var bytes = Convert.FromBase64String(encoded);
        Assert.Equal(0x1c849303, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes) & ~0xF0); // V2, not the deflated cookie
        Assert.True(bytes.Length < 2048, $"{bytes.Length} bytes: empty buckets should fold into runs");

        var decoded = LatencyHistogram.Decode(encoded);
        var copy = live.Snapshot();
        Assert.Equal(copy.TotalCount, decoded.TotalCount);
        foreach (var v in copy.RecordedValues())
        {
            Assert.Equal(v.CountAtValueIteratedTo, decoded.GetCountAtValue(v.ValueIteratedTo));
        }

        Assert.Equal(LatencyHistogram.Summarize(copy), LatencyHistogram.Summarize(decoded));
    }

    [Fact]
    public async Task Records_from_many_threads_at_once_are_none_of_them_lost()
    {
        // more threads than processors, all recording at once, with a reader copying meanwhile
        var live = new LatencyHistogram();
        const int threads = 8, each = 50_000;
        using var start = new Barrier(threads + 1);
        var writers = Enumerable.Range(0, threads).Select(w => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < each; i++)
            {
                live.RecordMicroseconds(w + 1); // small values are exact: each writer's own bucket
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        start.SignalAndWait();
        while (!Task.WhenAll(writers).IsCompleted)
        {
            var snapshot = live.Snapshot();
            Assert.True(snapshot.TotalCount <= (long)threads * each);
        }

        await Task.WhenAll(writers);
        Assert.Equal((long)threads * each, live.Count);
        var all = live.Snapshot();
        Assert.Equal((long)threads * each, all.TotalCount);
        for (var w = 0; w < threads; w++)
        {
            Assert.Equal(each, all.GetCountAtValue(w + 1)); // every record of every writer
        }

        Assert.Equal(all.TotalCount, LatencyHistogram.Decode(live.EncodeSnapshot()).TotalCount);
    }

    [Fact]
    public async Task Encoding_while_other_threads_record_never_fails_and_counts_only_grow()
    {
        var live = new LatencyHistogram();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                live.RecordMicroseconds(random.Next(1, 5_000_000));
            }
        })).ToArray();

        Assert.True(SpinWait.SpinUntil(() => live.Count > 1_000, TimeSpan.FromSeconds(10)), "the writers did not start");
        var last = 0L;
        for (var i = 0; i < 200; i++)
        {
            var count = LatencyHistogram.Decode(live.EncodeSnapshot()).TotalCount;
            Assert.True(count >= last, $"{count} after {last}");
            last = count;
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.True(last > 1_000);
        Assert.Equal(live.Count, LatencyHistogram.Decode(live.EncodeSnapshot()).TotalCount); // all of it once recording stops
    }

    [Fact]
    public void The_deflated_form_earlier_versions_published_still_decodes()
    {
        var h = LatencyHistogram.CreateEmpty();
        h.RecordValueWithCount(120, 40);
        h.RecordValueWithCount(4_500, 3);
        var buffer = ByteBuffer.Allocate(h.GetNeededByteBufferCapacity());
        var length = HistogramEncoding.EncodeIntoCompressedByteBuffer(h, buffer);
        buffer.Position = 0;
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }

        var decoded = LatencyHistogram.Decode(Convert.ToBase64String(bytes));

        Assert.Equal(43, decoded.TotalCount);
        Assert.Equal(40, decoded.GetCountAtValue(120));
        Assert.Equal(3, decoded.GetCountAtValue(4_500));
    }

    [Fact]
    public void An_idle_histogram_is_not_encoded_again_and_a_new_value_is_seen()
    {
        var live = new LatencyHistogram();
        live.RecordMicroseconds(300);
        var first = live.EncodeSnapshot();
        Assert.Same(first, live.EncodeSnapshot());

        live.RecordMicroseconds(900);
        var second = live.EncodeSnapshot();

        Assert.NotEqual(first, second);
        Assert.Equal(2, LatencyHistogram.Decode(second).TotalCount);
    }

    [Theory]
    [InlineData("not a histogram")]
    [InlineData("AAAA")]
    [InlineData("")]
    public void Anything_else_is_a_format_error(string encoded) =>
        Assert.Throws<FormatException>(() => LatencyHistogram.Decode(encoded));

    [Fact]
    public void Histograms_merged_across_instances_add_up()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.RecordMicroseconds(100);
        b.RecordMicroseconds(100);
        b.RecordMicroseconds(10_000);

        var merged = LatencyHistogram.CreateEmpty();
        merged.Add(LatencyHistogram.Decode(a.EncodeSnapshot()));
        merged.Add(LatencyHistogram.Decode(b.EncodeSnapshot()));

        Assert.Equal(3, merged.TotalCount);
        Assert.Equal(2, merged.GetCountAtValue(100));
    }
}
