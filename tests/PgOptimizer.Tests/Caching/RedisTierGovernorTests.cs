using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using PgOptimizer.Caching;

namespace PgOptimizer.Tests.Caching;

public sealed class RedisTierGovernorTests
{
    private static long Ms(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    /// <summary>The first window (the process's start: slow, and not judged).</summary>
    private static void StartUp(RedisTierGovernor governor)
    {
        for (var i = 0; i < 10; i++)
        {
            governor.Record(Ms(100), answered: false, factoryTicks: Ms(1));
        }

        Assert.False(governor.Bypassing);
        Assert.Null(governor.CostMicros);
    }

    [Fact]
    public void Misses_skip_Redis_when_its_round_trip_costs_more_than_the_queries_it_saves_and_Redis_is_measured_again_after_the_probe_interval()
    {
        var time = new FakeTimeProvider();
        var governor = new RedisTierGovernor(window: 10, probeInterval: TimeSpan.FromMinutes(1), time);
        StartUp(governor);

        // Redis answers 1 miss in 10; a query takes 1 ms, the Redis read 0.5 ms: saves 0.1 ms, costs 0.5 ms
        for (var i = 0; i < 9; i++)
        {
            governor.Record(Ms(1.5), answered: false, factoryTicks: Ms(1));
            Assert.False(governor.Bypassing);
        }

        governor.Record(Ms(0.5), answered: true, factoryTicks: 0);
        Assert.True(governor.Bypassing);
        Assert.Equal(1, governor.Bypasses);
        Assert.Equal(500, governor.CostMicros!.Value, 1);
        Assert.Equal(100, governor.SavingMicros!.Value, 1);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(governor.Bypassing);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(governor.Bypassing); // measured again
    }

    [Fact]
    public void Redis_stays_on_when_it_answers_enough_misses_to_pay_for_its_round_trip()
    {
        var governor = new RedisTierGovernor(window: 10, probeInterval: TimeSpan.FromMinutes(1), new FakeTimeProvider());
        StartUp(governor);

        // Redis answers half the misses; a query takes 5 ms, the read 0.5 ms: saves 2.5 ms, costs 0.5 ms
        for (var i = 0; i < 10; i++)
        {
            governor.Record(i % 2 == 0 ? Ms(0.5) : Ms(5.5), answered: i % 2 == 0, factoryTicks: i % 2 == 0 ? 0 : Ms(5));
        }

        Assert.False(governor.Bypassing);
        Assert.Equal(0, governor.Bypasses);
        Assert.True(governor.SavingMicros > governor.CostMicros);
    }

    [Fact]
    public void The_share_Redis_answers_is_measured_on_witness_keys_only_one_key_in_sixteen_the_same_everywhere()
    {
        var keys = Enumerable.Range(0, 16_000).Select(i => $"pitch:{i}:details").ToList();
        var witnesses = keys.Count(RedisTierGovernor.Witness);
        Assert.InRange(witnesses, 800, 1200); // about one in 16
        Assert.Equal(witnesses, keys.Count(RedisTierGovernor.Witness)); // a function of the key alone
        Assert.True(RedisTierGovernor.Witness("pitch:5:details") == RedisTierGovernor.Witness(new string("pitch:5:details".AsSpan())));

        var governor = new RedisTierGovernor(window: 10, probeInterval: TimeSpan.FromMinutes(1), new FakeTimeProvider());
        StartUp(governor);
        // ten misses that are no witness, all answered by Redis (left over from before): they say
        // nothing of what Redis holds now, and do not close the window
        for (var i = 0; i < 10; i++)
        {
            governor.Record(Ms(0.5), answered: true, factoryTicks: 0, witness: false);
        }

        Assert.Null(governor.CostMicros);
        // the witnesses: none answered, each query 1 ms and the read 0.5 ms on top
        governor.Record(Ms(1.5), answered: false, factoryTicks: Ms(1), witness: true);
        Assert.True(governor.Bypassing);
        Assert.Equal(0, governor.SavingMicros!.Value, 1);
    }
}
