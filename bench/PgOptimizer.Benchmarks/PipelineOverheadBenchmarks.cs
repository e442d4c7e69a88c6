using BenchmarkDotNet.Attributes;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// CPU cost of the resilience layers alone, around an operation that completes asynchronously
/// (Task.Yield) and touches no database: what the connection manager adds per call on top of Npgsql.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class PipelineOverheadBenchmarks
{
    private ResiliencePipeline _retry = null!;
    private ResiliencePipeline _breaker = null!;
    private ResiliencePipeline _both = null!;

    [GlobalSetup]
    public void Setup()
    {
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { ShouldHandle = static a => ValueTask.FromResult(a.Outcome.Exception is not null) }).Build();
        _breaker = new ResiliencePipelineBuilder().AddCircuitBreaker(new CircuitBreakerStrategyOptions()).Build();
        _both = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { ShouldHandle = static a => ValueTask.FromResult(a.Outcome.Exception is not null) })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions())
            .Build();
    }

    private static async ValueTask<int> Operation(int x)
    {
        await Task.Yield();
        return x + 1;
    }

    [Benchmark(Baseline = true)]
    public ValueTask<int> Bare() => Operation(1);

    [Benchmark]
    public async ValueTask<int> RetryAndBreaker()
    {
        var ctx = ResilienceContextPool.Shared.Get();
        try
        {
            return await _retry.ExecuteAsync(
                static (c, s) => s.Breaker.ExecuteAsync(static (c2, x) => Operation(x), c, 1),
                ctx,
                (Breaker: _breaker, X: 1));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(ctx);
        }
    }

    [Benchmark]
    public async ValueTask<int> RetryAndBreakerOutcome()
    {
        var ctx = ResilienceContextPool.Shared.Get();
        try
        {
            var outcome = await _retry.ExecuteOutcomeAsync(
                static (c, s) => s.Breaker.ExecuteOutcomeAsync(static async (c2, x) =>
                {
                    try
                    {
                        return Outcome.FromResult(await Operation(x).ConfigureAwait(false));
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<int>(ex);
                    }
                }, c, 1),
                ctx,
                (Breaker: _breaker, X: 1));
            outcome.ThrowIfException();
            return outcome.Result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(ctx);
        }
    }

    [Benchmark]
    public async ValueTask<int> BreakerOutcome()
    {
        var ctx = ResilienceContextPool.Shared.Get();
        try
        {
            var outcome = await _breaker.ExecuteOutcomeAsync(static async (c2, x) =>
            {
                try
                {
                    return Outcome.FromResult(await Operation(x).ConfigureAwait(false));
                }
                catch (Exception ex)
                {
                    return Outcome.FromException<int>(ex);
                }
            }, ctx, 1);
            outcome.ThrowIfException();
            return outcome.Result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(ctx);
        }
    }

    [Benchmark]
    public async ValueTask<int> CompositeOutcome()
    {
        var ctx = ResilienceContextPool.Shared.Get();
        try
        {
            var outcome = await _both.ExecuteOutcomeAsync(static async (c2, x) =>
            {
                try
                {
                    return Outcome.FromResult(await Operation(x).ConfigureAwait(false));
                }
                catch (Exception ex)
                {
                    return Outcome.FromException<int>(ex);
                }
            }, ctx, 1);
            outcome.ThrowIfException();
            return outcome.Result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(ctx);
        }
    }
}
