using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// One UPDATE committed and waited for until the second cache instance has invalidated the row's
/// tag (trigger → NOTIFY → that instance's LISTEN session → RemoveByTag), in the same
/// BenchmarkDotNet run as the memory-hit benchmarks. The time includes the UPDATE's own round trip;
/// `PgOptimizer.Benchmarks invalidation` measures from the commit alone, with p99.
/// </summary>
[Config(typeof(Percentiles))]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15, invocationCount: 32)]
public class InvalidationBenchmarks
{
    private InvalidationRig _rig = null!;
    private int _next;

    [GlobalSetup]
    public async Task Setup() => _rig = await InvalidationRig.CreateAsync("pgopt_cache_bdn");

    [GlobalCleanup]
    public async Task Cleanup() => await _rig.DisposeAsync();

    [Benchmark]
    public async Task CommitToInvalidationOnSecondInstance() => await await _rig.UpdateAsync(1 + (_next++ % 1000));

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles() => AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max);
    }
}
