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
                static (c, s) => s.Breaker.ExecuteOutcomeAsync(OperationOutcome, c, 1),
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
    public ValueTask<int> BreakerOutcome() => OutcomeThroughAsync(_breaker);

    [Benchmark]
    public ValueTask<int> CompositeOutcome() => OutcomeThroughAsync(_both);

    /// <summary>
    /// The connection manager's shape while the circuit is closed: the operation runs outside the
    /// pipeline and its outcome is then handed to the breaker by a callback that returns it at once,
    /// so the breaker counts it without an asynchronous step of its own.
    /// </summary>
    [Benchmark]
    public async ValueTask<int> BreakerAfterTheFact()
    {
        var ctx = ResilienceContextPool.Shared.Get();
        try
        {
            var outcome = await OperationOutcome(ctx, 1);
            outcome = await _breaker.ExecuteOutcomeAsync(static (_, o) => ValueTask.FromResult(o), ctx, outcome);
            outcome.ThrowIfException();
            return outcome.Result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(ctx);
        }
    }

    /// <summary>The operation with its failure as a value, the shape the connection manager gives Polly.</summary>
    private static async ValueTask<Outcome<int>> OperationOutcome(ResilienceContext context, int x)
    {
        try
        {
            return Outcome.FromResult(await Operation(x).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            return Outcome.FromException<int>(ex);
        }
    }

    private static async ValueTask<int> OutcomeThroughAsync(ResiliencePipeline pipeline)
    {
        var ctx = ResilienceContextPool.Shared.Get();
        try
        {
            var outcome = await pipeline.ExecuteOutcomeAsync(OperationOutcome, ctx, 1);
            outcome.ThrowIfException();
            return outcome.Result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(ctx);
        }
    }
}
