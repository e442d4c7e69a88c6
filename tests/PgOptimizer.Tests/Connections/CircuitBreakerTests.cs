using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Tests.Infrastructure;
using Polly.CircuitBreaker;

namespace PgOptimizer.Tests.Connections;

/// <summary>Stops the real replica, so it runs alone (after the parallel tests).</summary>
[Collection(OutageCollection.Name)]
public sealed class CircuitBreakerTests
{
    [Fact]
    public async Task Breaker_opens_on_a_stopped_replica_reads_fall_back_and_it_closes_when_the_replica_returns()
    {
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = TestServices.PrimaryConnection,
            ReplicaConnectionStrings = { TestServices.ReplicaConnection },
            BreakerMinimumThroughput = 3,
            BreakerFailureRatio = 0.5,
            BreakerSamplingDuration = TimeSpan.FromSeconds(30),
            BreakerBreakDuration = TimeSpan.FromSeconds(1),
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            RetryMaxDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryAttempts = 5,
        }));
        var replica = manager.Replicas[0];
        Assert.True((bool)(await manager.ScalarAsync(DbIntent.Read, "SELECT pg_is_in_recovery()"))!);

        await TestServices.ServicesAsync("stop", "replica");
        try
        {
            // Every read still succeeds: failed attempts on the replica are retried, and once the
            // breaker opens the reader selector sends reads to the primary.
            for (var i = 0; i < 6; i++)
            {
                var inRecovery = (bool)(await manager.ScalarAsync(DbIntent.Read, "SELECT pg_is_in_recovery()"))!;
                Assert.False(inRecovery);
            }

            Assert.Equal(CircuitState.Open, replica.CircuitState);
            Assert.False(replica.IsAvailable);
        }
        finally
        {
            await TestServices.ServicesAsync("start", "replica");
        }

        // After the break duration a trial read goes to the replica again and closes the circuit.
        await TestServices.WaitUntilAsync(async () =>
        {
            var inRecovery = (bool)(await manager.ScalarAsync(DbIntent.Read, "SELECT pg_is_in_recovery()"))!;
            return inRecovery && replica.CircuitState == CircuitState.Closed;
        }, TimeSpan.FromSeconds(60), "reads served by the replica with its circuit closed");
    }

    [Fact]
    public async Task Writes_fail_fast_with_a_clear_error_when_the_primary_endpoint_is_down()
    {
        // A primary on a port where nothing listens: connection refused on every attempt.
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = "postgresql://postgres:secret-pw@127.0.0.1:1/db",
            BreakerMinimumThroughput = 2,
            BreakerBreakDuration = TimeSpan.FromSeconds(30),
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            RetryMaxDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryAttempts = 3,
        }));

        var first = await Assert.ThrowsAnyAsync<Exception>(async () => await manager.NonQueryAsync(DbIntent.Write, "SELECT 1"));
        Assert.Equal(CircuitState.Open, manager.Primary.CircuitState);
        var second = await Assert.ThrowsAsync<BrokenCircuitException>(async () => await manager.NonQueryAsync(DbIntent.Write, "SELECT 1"));
        Assert.DoesNotContain("secret-pw", first.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", second.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Successes_count_towards_the_failure_ratio_and_endpoint_failures_open_the_circuit()
    {
        // The server raises "cannot connect now" (57P03), an endpoint failure, on demand. With half
        // of at least four calls failing as the threshold, four failures among nine calls keep the
        // circuit closed only if the five successes were counted too.
        await using var db = new TempDatabase();
        await db.InitializeAsync();
        await using var manager = new PgConnectionManager(Options.Create(new ConnectionOptions
        {
            ConnectionString = db.Connection,
            BreakerFailureRatio = 0.5,
            BreakerMinimumThroughput = 4,
            BreakerSamplingDuration = TimeSpan.FromSeconds(30),
            BreakerBreakDuration = TimeSpan.FromSeconds(30),
        }));
        const string Refuse = "DO $$ BEGIN RAISE EXCEPTION 'not now' USING ERRCODE = '57P03'; END $$";

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(1, await manager.ScalarAsync(DbIntent.Read, "SELECT 1"));
        }

        for (var i = 0; i < 4; i++)
        {
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await manager.NonQueryAsync(DbIntent.Write, Refuse, options: PgCallOptions.NoRetry));
            Assert.Equal("57P03", refused.SqlState);
        }

        Assert.Equal(CircuitState.Closed, manager.Primary.CircuitState);

        // the fifth failure of ten reaches the ratio: that call still reports its own error
        await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await manager.NonQueryAsync(DbIntent.Write, Refuse, options: PgCallOptions.NoRetry));
        Assert.Equal(CircuitState.Open, manager.Primary.CircuitState);
        await Assert.ThrowsAsync<BrokenCircuitException>(async () => await manager.ScalarAsync(DbIntent.Read, "SELECT 1"));
    }
}
