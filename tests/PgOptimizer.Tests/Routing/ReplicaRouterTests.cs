using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PgOptimizer.Connections;
using PgOptimizer.Routing;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Routing;

/// <summary>The router and each strategy on endpoints that never connect: lag, latency and load are set by hand.</summary>
public sealed class ReplicaRouterTests : IAsyncLifetime
{
    private readonly List<PgEndpoint> _owned = [];
    private static readonly ConnectionOptions Connection = new() { ConnectionString = "Host=127.0.0.1;Port=1;Database=x", BreakerBreakDuration = TimeSpan.FromMilliseconds(500) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var e in _owned)
        {
            await e.DisposeAsync();
        }
    }

    private PgEndpoint Endpoint(string name, EndpointRole role = EndpointRole.Replica, int weight = 1, string? region = null, params QueryType[] types)
    {
        var e = new PgEndpoint(name, role, new NpgsqlConnectionStringBuilder("Host=127.0.0.1;Port=1;Database=x"), Connection, null,
            role == EndpointRole.Replica ? new ReplicaOptions { ConnectionString = "Host=127.0.0.1", Weight = weight, Region = region, QueryTypes = [.. types] } : null);
        _owned.Add(e);
        return e;
    }

    private static ReplicaRouter Router(Action<RoutingOptions>? configure = null)
    {
        var o = new RoutingOptions();
        configure?.Invoke(o);
        return new ReplicaRouter(Options.Create(o));
    }

    private static Dictionary<string, int> Spread(ReplicaRouter router, ReadRequest request, int reads)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < reads; i++)
        {
            var e = router.SelectReader(request);
            counts[e.Name] = counts.GetValueOrDefault(e.Name) + 1;
        }

        return counts;
    }

    private static ReadRequest Read(PgEndpoint primary, PgEndpoint[] replicas, QueryType type = QueryType.ReadOnly, string? strategy = null, NpgsqlLogSequenceNumber? floor = null, PgEndpoint? lastFailed = null) =>
        new(primary, replicas, type, strategy, floor, lastFailed is null ? 0 : 1, lastFailed);

    private static void Slow(PgEndpoint e, double ms, int samples = 20)
    {
        for (var i = 0; i < samples; i++)
        {
            e.RecordAttempt((long)(ms * Stopwatch.Frequency / 1000), failed: false);
        }
    }

    [Fact]
    public void Weighted_round_robin_follows_the_weights_within_ten_percent()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var heavy = Endpoint("heavy", weight: 3);
        var light = Endpoint("light", weight: 1);
        var counts = Spread(Router(o => o.Strategy = LoadBalancingStrategy.WeightedRoundRobin), Read(primary, [heavy, light]), 2000);
        Assert.InRange(counts["heavy"] / (double)counts["light"], 3 * 0.9, 3 * 1.1);
        Assert.False(counts.ContainsKey("primary"));
    }

    [Fact]
    public void Least_connections_avoids_a_replica_held_busy()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var busy = Endpoint("busy");
        var idle = Endpoint("idle");
        for (var i = 0; i < 5; i++)
        {
            busy.EnterConnection();
        }

        var counts = Spread(Router(o => o.Strategy = LoadBalancingStrategy.LeastConnections), Read(primary, [busy, idle]), 200);
        Assert.Equal(200, counts["idle"]);
    }

    [Fact]
    public void Geographic_prefers_the_home_region_then_the_configured_order()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var far = Endpoint("far", region: "ap-south");
        var near = Endpoint("near", region: "eu-central");
        var next = Endpoint("next", region: "eu-west");
        var router = Router(o => { o.Strategy = LoadBalancingStrategy.Geographic; o.Region = "eu-central"; o.RegionPreference = ["eu-west"]; });
        Assert.Equal(100, Spread(router, Read(primary, [far, near, next]), 100)["near"]);
        Assert.Equal(100, Spread(router, Read(primary, [far, next]), 100)["next"]);
    }

    [Theory]
    [InlineData(LoadBalancingStrategy.LatencyBased)]
    [InlineData(LoadBalancingStrategy.Adaptive)]
    public void Latency_aware_strategies_move_reads_away_from_a_slow_replica(LoadBalancingStrategy strategy)
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var slow = Endpoint("slow");
        var fast = Endpoint("fast");
        Slow(slow, 25);
        Slow(fast, 1);
        var counts = Spread(Router(o => o.Strategy = strategy), Read(primary, [slow, fast]), 1000);
        Assert.True(counts.GetValueOrDefault("fast") >= 800, $"fast got {counts.GetValueOrDefault("fast")} of 1000");
    }

    [Fact]
    public void A_slow_first_attempt_or_one_stall_does_not_steer_the_latency_strategy_but_a_replica_that_stays_slow_does()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var steady = Endpoint("steady");
        var first = Endpoint("first");
        var stalled = Endpoint("stalled");
        Slow(steady, 5, samples: 40);
        Slow(first, 60, samples: 1); // the first query of a new server process, which loads its catalog caches
        Slow(first, 1, samples: 19);
        Slow(stalled, 1, samples: 40);
        Slow(stalled, 400, samples: 1); // one GC pause or machine stall
        Assert.InRange(first.LatencyEwmaMs!.Value, 1, 5);
        Assert.InRange(stalled.LatencyEwmaMs!.Value, 1, 2);
        var router = Router(o => o.Strategy = LoadBalancingStrategy.LatencyBased);
        var counts = Spread(router, Read(primary, [steady, first, stalled]), 1000);
        Assert.True(counts.GetValueOrDefault("steady") <= 50, $"steady got {counts.GetValueOrDefault("steady")} of 1000");

        Slow(stalled, 20, samples: 10); // now it stays slow
        Assert.True(stalled.LatencyEwmaMs > 5, $"stalled averages {stalled.LatencyEwmaMs} ms after ten 20 ms reads");
    }

    [Fact]
    public void A_lagging_replica_leaves_rotation_and_rejoins_only_below_the_limit_minus_the_margin()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var lagging = Endpoint("lagging");
        var fresh = Endpoint("fresh");
        var router = Router(o => { o.Strategy = LoadBalancingStrategy.RoundRobin; o.MaxLag = TimeSpan.FromSeconds(10); o.LagHysteresis = 0.2; });
        var request = Read(primary, [lagging, fresh]);

        lagging.SetLag(new ReplicaLagReading(12, 0, null, DateTimeOffset.UtcNow));
        Assert.False(Spread(router, request, 50).ContainsKey("lagging"));
        lagging.SetLag(new ReplicaLagReading(9, 0, null, DateTimeOffset.UtcNow)); // under the limit, above limit − margin
        Assert.False(Spread(router, request, 50).ContainsKey("lagging"));
        lagging.SetLag(new ReplicaLagReading(7, 0, null, DateTimeOffset.UtcNow));
        Assert.True(Spread(router, request, 50).ContainsKey("lagging"));

        lagging.SetLag(new ReplicaLagReading(0, 64L << 20, null, DateTimeOffset.UtcNow)); // bytes behind count too
        Assert.False(Spread(router, request, 50).ContainsKey("lagging"));
        Assert.Equal(ReplicaState.Lagging, router.GetReplicaStatistics([primary, lagging, fresh]).Single(s => s.Name == "lagging").State);
    }

    [Fact]
    public void A_session_floor_sends_reads_to_replicas_that_replayed_it_else_to_the_primary()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var behind = Endpoint("behind");
        var ahead = Endpoint("ahead");
        behind.SetLag(new ReplicaLagReading(0, 0, new NpgsqlLogSequenceNumber(100), DateTimeOffset.UtcNow));
        ahead.SetLag(new ReplicaLagReading(0, 0, new NpgsqlLogSequenceNumber(300), DateTimeOffset.UtcNow));
        var router = Router(o => o.Strategy = LoadBalancingStrategy.RoundRobin);
        Assert.Equal(100, Spread(router, Read(primary, [behind, ahead], floor: new NpgsqlLogSequenceNumber(200)), 100)["ahead"]);
        Assert.Equal(100, Spread(router, Read(primary, [behind, ahead], floor: new NpgsqlLogSequenceNumber(400)), 100)["primary"]);
        Assert.Equal(100, router.SessionFallbacks);
    }

    [Fact]
    public void Query_types_route_to_their_replicas_and_consistent_reads_to_the_primary()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var oltp = Endpoint("oltp");
        var analytics = Endpoint("analytics", types: [QueryType.Analytics, QueryType.Reporting]);
        var router = Router(o => o.Strategy = LoadBalancingStrategy.RoundRobin);
        Assert.Equal(100, Spread(router, Read(primary, [oltp, analytics], QueryType.Analytics), 100)["analytics"]);
        Assert.Equal(100, Spread(router, Read(primary, [oltp, analytics], QueryType.ReadOnly), 100)["oltp"]);
        Assert.Equal(100, Spread(router, Read(primary, [oltp, analytics], QueryType.Search), 100)["oltp"]); // nobody designated: any that serves it
        Assert.Equal(100, Spread(router, Read(primary, [oltp, analytics], QueryType.Consistent), 100)["primary"]);
    }

    [Fact]
    public void A_retry_goes_to_another_replica_than_the_one_that_failed()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var a = Endpoint("a");
        var b = Endpoint("b");
        foreach (var strategy in Enum.GetValues<LoadBalancingStrategy>())
        {
            var counts = Spread(Router(o => o.Strategy = strategy), Read(primary, [a, b], lastFailed: a), 100);
            Assert.Equal(100, counts["b"]);
        }
    }

    [Fact]
    public async Task Asking_whether_an_open_replica_accepts_requests_does_not_use_up_its_probe()
    {
        var primary = Endpoint("primary", EndpointRole.Primary);
        var open = Endpoint("open", region: "far");
        var home = Endpoint("home", region: "home");
        await OpenCircuitAsync(open);
        Assert.False(open.AcceptsRequests);
        await TestServices.WaitUntilAsync(() => Task.FromResult(open.AcceptsRequests), TimeSpan.FromSeconds(5), "the break duration to pass");

        // The router looks at both replicas on every read but sends them all home: the probe stays unclaimed.
        var counts = Spread(Router(o => { o.Strategy = LoadBalancingStrategy.Geographic; o.Region = "home"; }), Read(primary, [open, home]), 100);
        Assert.Equal(100, counts["home"]);
        Assert.True(open.AcceptsRequests);
        Assert.True(open.TryClaimProbe());
        Assert.False(open.TryClaimProbe()); // one probe per break duration
        Assert.False(open.AcceptsRequests);
    }

    [Fact]
    public void Strategy_names_parse_and_a_wrong_one_says_which_exist()
    {
        Assert.Equal(LoadBalancingStrategy.LeastConnections, ReplicaRouter.ParseStrategy("least-connections"));
        Assert.Equal(LoadBalancingStrategy.LatencyBased, ReplicaRouter.ParseStrategy("latency"));
        Assert.Equal(LoadBalancingStrategy.WeightedRoundRobin, ReplicaRouter.ParseStrategy("weighted_round_robin"));
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => ReplicaRouter.ParseStrategy("fastest"));
        Assert.Contains("adaptive", ex.Message, StringComparison.Ordinal);
    }

    private static async Task OpenCircuitAsync(PgEndpoint endpoint)
    {
        for (var i = 0; i < 20; i++)
        {
            await endpoint.Pipeline.ExecuteOutcomeAsync<object?, int>(
                static (_, _) => ValueTask.FromResult(Polly.Outcome.FromException<object?>(new NpgsqlException("connection refused", new System.Net.Sockets.SocketException(111)))),
                Polly.ResilienceContextPool.Shared.Get(), 0);
        }

        Assert.Equal(Polly.CircuitBreaker.CircuitState.Open, endpoint.CircuitState);
    }
}
