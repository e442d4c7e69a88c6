using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Routing;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Routing;

/// <summary>
/// Routing on the real primary and its two streaming replicas. Replay is paused on the second
/// replica in some tests, so they run alone (the outage collection).
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class RoutingServerTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.ExecAsync("CREATE TABLE kv (id int PRIMARY KEY, v int NOT NULL); INSERT INTO kv VALUES (1, 0)");
        foreach (var i in new[] { 0, 1 })
        {
            await TestServices.WaitUntilAsync(async () =>
            {
                try
                {
                    await using var source = NpgsqlDataSource.Create(TestServices.ReplicaFor(_db.Name, i));
                    await using var cmd = source.CreateCommand("SELECT count(*) FROM kv");
                    return (long)(await cmd.ExecuteScalarAsync())! == 1;
                }
                catch (NpgsqlException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20), $"the table to reach replica {i + 1}");
        }
    }

    public async Task DisposeAsync()
    {
        await SetReplayAsync(paused: false);
        foreach (var o in _owned)
        {
            await o.DisposeAsync();
        }

        await _db.DisposeAsync();
    }

    private async Task<(PgConnectionManager Manager, ReplicaRouter Router)> ManagerAsync(Action<RoutingOptions>? routing = null, RedisConnection? redis = null)
    {
        var options = new RoutingOptions { Strategy = LoadBalancingStrategy.RoundRobin, MaxLag = TimeSpan.FromSeconds(1) };
        routing?.Invoke(options);
        var router = new ReplicaRouter(Options.Create(options));
        var connection = new ConnectionOptions { ConnectionString = _db.Connection, LagProbeInterval = TimeSpan.FromMilliseconds(200) };
        connection.ReplicaConnectionStrings.Add(TestServices.ReplicaFor(_db.Name, 0));
        connection.ReplicaConnectionStrings.Add(TestServices.ReplicaFor(_db.Name, 1));
        var manager = new PgConnectionManager(Options.Create(connection), router, null, redis);
        _owned.Add(manager);
        await manager.RefreshLagAsync();
        return (manager, router);
    }

    private static async Task SetReplayAsync(bool paused)
    {
        await using var source = NpgsqlDataSource.Create(TestServices.ReplicaFor("postgres", 1));
        await using var cmd = source.CreateCommand(paused ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()");
        await cmd.ExecuteNonQueryAsync();
    }

    private static ValueTask<int> ReadAsync(PgConnectionManager m, string? session = null) =>
        m.ExecuteAsync(DbIntent.Read, 0, static async (conn, _, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT v FROM kv WHERE id = 1", conn);
            return (int)(await cmd.ExecuteScalarAsync(ct))!;
        }, new PgCallOptions(Session: session));

    private static ValueTask<int> WriteAsync(PgConnectionManager m, int value, string? session = null) =>
        m.ExecuteAsync(DbIntent.Write, value, static async (conn, v, ct) =>
        {
            await using var cmd = new NpgsqlCommand("UPDATE kv SET v = $1 WHERE id = 1", conn) { Parameters = { new NpgsqlParameter<int> { TypedValue = v } } };
            return await cmd.ExecuteNonQueryAsync(ct);
        }, new PgCallOptions(Idempotent: true, Session: session));

    private static long ReadsOn(ReplicaRouter router, PgConnectionManager m, string name) =>
        router.GetReplicaStatistics(m).Single(s => s.Name == name).Reads;

    [Fact]
    public async Task Reads_spread_over_both_replicas_and_consistent_reads_stay_on_the_primary()
    {
        var (m, router) = await ManagerAsync();
        for (var i = 0; i < 200; i++)
        {
            await ReadAsync(m);
        }

        Assert.InRange(ReadsOn(router, m, "replica1"), 80, 120);
        Assert.InRange(ReadsOn(router, m, "replica2"), 80, 120);
        Assert.Equal(ReplicaState.InRotation, router.GetReplicaStatistics(m).Single(s => s.Name == "replica1").State);
        Assert.Equal(0, ReadsOn(router, m, "primary"));
        Assert.Equal(0, await m.ExecuteAsync(DbIntent.Read, 0, static async (conn, _, ct) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_is_in_recovery()::int", conn);
            return (int)(await cmd.ExecuteScalarAsync(ct))!;
        }, PgCallOptions.Read(QueryType.Consistent)));
    }

    [Fact]
    public async Task A_replica_whose_replay_is_paused_leaves_rotation_within_a_probe_and_returns_after_resume()
    {
        var (m, router) = await ManagerAsync();
        await SetReplayAsync(paused: true);
        try
        {
            var value = 0;
            await TestServices.WaitUntilAsync(async () =>
            {
                await WriteAsync(m, ++value); // WAL it receives but does not replay
                return router.GetReplicaStatistics(m).Single(s => s.Name == "replica2").State == ReplicaState.Lagging;
            }, TimeSpan.FromSeconds(15), "replica2 to be out of rotation for lag");

            var before = ReadsOn(router, m, "replica2");
            for (var i = 0; i < 100; i++)
            {
                await ReadAsync(m);
            }

            Assert.Equal(before, ReadsOn(router, m, "replica2"));

            // Monitoring's replication-lag alert reads the same probe and names the same replica.
            var monitoring = new PgOptimizer.Monitoring.MonitoringOptions { InstanceId = "lag-alert", RedisKeyPrefix = "pgopt:test:" + Guid.NewGuid().ToString("N")[..8] + ":" };
            monitoring.Alerts[PgOptimizer.Monitoring.AlertNames.ReplicationLag] = new PgOptimizer.Monitoring.AlertThreshold { Warning = 0.5, Critical = 100_000, Unit = "s", For = TimeSpan.Zero };
            await using var redis = new RedisConnection(Options.Create(new RedisOptions()));
            using var tracker = new PgOptimizer.Monitoring.QueryTracker(m, Options.Create(monitoring));
            using var monitor = new PgOptimizer.Monitoring.DatabasePerformanceMonitor(m, tracker, new PgOptimizer.Monitoring.ServerStatsCollector(m, Options.Create(monitoring)), redis, Options.Create(monitoring));
            var health = await monitor.EvaluateAsync(new PgOptimizer.Monitoring.HealthEvaluation { IgnoreForDurations = true });
            Assert.Equal("replica2", Assert.Single(health.Alerts, a => a.Name == PgOptimizer.Monitoring.AlertNames.ReplicationLag).Subject);
        }
        finally
        {
            await SetReplayAsync(paused: false);
        }

        await TestServices.WaitUntilAsync(() => Task.FromResult(router.GetReplicaStatistics(m).Single(s => s.Name == "replica2").State == ReplicaState.InRotation),
            TimeSpan.FromSeconds(15), "replica2 back in rotation after resume");
        var back = ReadsOn(router, m, "replica2");
        for (var i = 0; i < 100; i++)
        {
            await ReadAsync(m);
        }

        Assert.True(ReadsOn(router, m, "replica2") > back);
    }

    [Fact]
    public async Task A_session_reads_its_own_writes_on_every_instance_while_one_replica_does_not_replay()
    {
        await using var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        await redis.TryGetDatabaseAsync();
        var (a, routerA) = await ManagerAsync(o => o.MaxLag = TimeSpan.FromHours(1), redis); // lag alone would not protect the session
        var (b, _) = await ManagerAsync(o => o.MaxLag = TimeSpan.FromHours(1), redis);
        var session = "user:" + Guid.NewGuid().ToString("N");
        await SetReplayAsync(paused: true);
        try
        {
            for (var i = 1; i <= 1000; i++)
            {
                await WriteAsync(a, i, session);
                Assert.Equal(i, await ReadAsync(a, session));
                if (i % 50 == 0)
                {
                    Assert.Equal(i, await ReadAsync(b, session)); // another instance, through Redis
                }
            }

            // Without the session the paused replica still serves (stale) reads: the protection came from the session.
            var stale = 0;
            for (var i = 0; i < 50; i++)
            {
                stale += await ReadAsync(a) < 1000 ? 1 : 0;
            }

            Assert.True(stale > 0, "reads without the session should have reached the paused replica");
            Assert.True(routerA.SessionFallbacks > 0);
        }
        finally
        {
            await SetReplayAsync(paused: false);
        }
    }

    [Theory]
    [InlineData(LoadBalancingStrategy.Adaptive)]
    [InlineData(LoadBalancingStrategy.LatencyBased)]
    public async Task Latency_aware_strategies_move_reads_away_from_a_replica_behind_a_slow_network(LoadBalancingStrategy strategy)
    {
        var slowTarget = ConnectionStringParser.Parse(TestServices.ReplicaFor(_db.Name, 1));
        // 15 ms: well beyond what a stall of this shared two-core machine adds to a fast read (with
        // 5 ms such stalls lifted the fast replica's peak-sensitive cost to the slow one's often
        // enough to send it 22 % of the reads).
        await using var proxy = new DelayProxy(slowTarget!.Host!, slowTarget.Port, TimeSpan.FromMilliseconds(15));
        slowTarget.Port = proxy.Port;
        var connection = new ConnectionOptions { ConnectionString = _db.Connection, LagProbeInterval = TimeSpan.FromMilliseconds(200) };
        connection.Replicas.Add(new ReplicaOptions { Name = "fast", ConnectionString = TestServices.ReplicaFor(_db.Name, 0) });
        connection.Replicas.Add(new ReplicaOptions { Name = "slow", ConnectionString = slowTarget.ConnectionString });
        var router = new ReplicaRouter(Options.Create(new RoutingOptions { Strategy = strategy }));
        await using var m = new PgConnectionManager(Options.Create(connection), router);
        await m.RefreshLagAsync();
        foreach (var replica in m.Replicas)
        {
            // The first queries in a new database on a standby load its catalog caches (hundreds of
            // ms here), and each caller below needs a connection of its own: warm four connections
            // on both first, outside the manager, so only the network path differs.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                await using var c = await replica.DataSource.OpenConnectionAsync();
                for (var i = 0; i < 5; i++)
                {
                    await using var cmd = new NpgsqlCommand("SELECT v FROM kv WHERE id = 1", c);
                    await cmd.ExecuteScalarAsync();
                }
            }));
        }

        // Four callers, as a small service would; 800 reads.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            for (var i = 0; i < 200; i++)
            {
                await ReadAsync(m);
            }
        }));

        var fast = ReadsOn(router, m, "fast");
        var slow = ReadsOn(router, m, "slow");
        Assert.True(fast >= 0.8 * (fast + slow), $"{strategy}: fast {fast}, slow {slow}; " +
            string.Join("; ", router.GetReplicaStatistics(m).Select(s => $"{s.Name} ewma {s.LatencyEwmaMs} p99 {s.LatencyP99Ms} state {s.State} lag {s.LagSeconds}")));
    }

    [Fact]
    public async Task A_replica_killed_and_restarted_under_a_read_load_costs_no_failed_read()
    {
        var (m, router) = await ManagerAsync(o => o.Strategy = LoadBalancingStrategy.Adaptive);
        using var stop = new CancellationTokenSource();
        long reads = 0, failures = 0;
        string? firstFailure = null;
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await ReadAsync(m);
                    Interlocked.Increment(ref reads);
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstFailure, ex.GetType().Name + ": " + ex.Message, null);
                }
            }
        })).ToList();

        await TestServices.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref reads) > 200), TimeSpan.FromSeconds(10), "the read load to run");
        try
        {
            await TestServices.ServicesAsync("stop", "replica2");
            var during = Interlocked.Read(ref reads);
            await TestServices.WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref reads) > during + 500), TimeSpan.FromSeconds(20), "reads to go on while replica2 is down");
        }
        finally
        {
            await TestServices.ServicesAsync("start", "replica2");
        }

        await TestServices.WaitUntilAsync(async () =>
        {
            await m.RefreshLagAsync();
            return router.GetReplicaStatistics(m).Single(s => s.Name == "replica2").State == ReplicaState.InRotation;
        }, TimeSpan.FromSeconds(30), "replica2 back in rotation");
        var back = ReadsOn(router, m, "replica2");
        await TestServices.WaitUntilAsync(() => Task.FromResult(ReadsOn(router, m, "replica2") > back), TimeSpan.FromSeconds(30), "reads on replica2 again");
        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.True(failures == 0, $"{failures} failed reads of {reads}; first: {firstFailure}");
    }

    [Fact]
    public async Task An_idle_replica_that_replayed_everything_is_not_behind_however_old_its_last_transaction()
    {
        var (m, router) = await ManagerAsync(); // MaxLag 1 s
        for (var i = 0; i < 20; i++)
        {
            await WriteAsync(m, i);
        }

        // Idle for longer than the limit: the last replayed transaction ages, the replicas do not fall behind.
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the idle time itself is what is tested
        await TestServices.WaitUntilAsync(async () =>
        {
            await m.RefreshLagAsync(); // a bookkeeping record flushed just now may still be on its way
            return m.Replicas.All(r => r.Lag is { Bytes: 0, Seconds: 0 });
        }, TimeSpan.FromSeconds(5), "both replicas at 0 s and 0 bytes behind");

        Assert.All(router.GetReplicaStatistics(m).Where(s => s.Role == EndpointRole.Replica), s => Assert.Equal(ReplicaState.InRotation, s.State));
    }

    [Fact]
    public async Task With_every_replica_down_reads_go_to_the_primary_with_an_alert_and_return_when_they_are_back()
    {
        var (m, router) = await ManagerAsync();
        await ReadAsync(m); // routing has seen the replicas
        var monitoring = new PgOptimizer.Monitoring.MonitoringOptions { InstanceId = "replicas-down", RedisKeyPrefix = "pgopt:test:" + Guid.NewGuid().ToString("N")[..8] + ":" };
        await using var redis = new RedisConnection(Options.Create(new RedisOptions()));
        using var tracker = new PgOptimizer.Monitoring.QueryTracker(m, Options.Create(monitoring));
        using var monitor = new PgOptimizer.Monitoring.DatabasePerformanceMonitor(m, tracker, new PgOptimizer.Monitoring.ServerStatsCollector(m, Options.Create(monitoring)), redis,
            Options.Create(monitoring), rotation: router);
        try
        {
            await TestServices.ServicesAsync("stop", "replica2");
            await TestServices.ServicesAsync("stop", "replica");
            await TestServices.WaitUntilAsync(async () =>
            {
                await m.RefreshLagAsync();
                return router.GetRotation() is { InRotation: 0 };
            }, TimeSpan.FromSeconds(15), "both replicas out of rotation");

            var before = ReadsOn(router, m, "primary");
            for (var i = 0; i < 50; i++)
            {
                await ReadAsync(m); // no failure: the primary serves
            }

            Assert.Equal(before + 50, ReadsOn(router, m, "primary"));
            var health = await monitor.EvaluateAsync(new PgOptimizer.Monitoring.HealthEvaluation { IgnoreForDurations = true });
            var alert = Assert.Single(health.Alerts, a => a.Name == PgOptimizer.Monitoring.AlertNames.ReplicasOutOfRotation);
            Assert.Equal(HealthLevel.Critical, alert.Severity);
        }
        finally
        {
            await TestServices.ServicesAsync("start", "replica");
            await TestServices.ServicesAsync("start", "replica2");
        }

        await TestServices.WaitUntilAsync(async () =>
        {
            await m.RefreshLagAsync();
            await ReadAsync(m); // a read lets an open circuit probe
            return router.GetRotation() is { InRotation: 2 };
        }, TimeSpan.FromSeconds(30), "both replicas back in rotation");
        var cleared = await monitor.EvaluateAsync(new PgOptimizer.Monitoring.HealthEvaluation { IgnoreForDurations = true });
        Assert.DoesNotContain(cleared.Alerts, a => a.Name == PgOptimizer.Monitoring.AlertNames.ReplicasOutOfRotation);
    }

    private string ReplicaUri(int index)
    {
        var uri = new UriBuilder(TestServices.Replicas[index]) { Path = "/" + _db.Name };
        return uri.Uri.GetComponents(UriComponents.AbsoluteUri, UriFormat.UriEscaped);
    }

    private async Task<(PgConnectionManager Manager, ReplicaRouter Router)> ManagerWithAttributesAsync(string first, string second, Action<RoutingOptions> routing)
    {
        var options = new RoutingOptions();
        routing(options);
        var router = new ReplicaRouter(Options.Create(options));
        var connection = new ConnectionOptions { ConnectionString = _db.Connection };
        connection.ReplicaConnectionStrings.Add(ReplicaUri(0) + "#" + first); // attributes ride on URIs, as on the command line
        connection.ReplicaConnectionStrings.Add(ReplicaUri(1) + "#" + second);
        var manager = new PgConnectionManager(Options.Create(connection), router);
        _owned.Add(manager);
        await manager.RefreshLagAsync();
        return (manager, router);
    }

    [Fact]
    public async Task Weighted_round_robin_spreads_real_reads_three_to_one_within_ten_percent()
    {
        var (m, router) = await ManagerWithAttributesAsync("name=heavy&weight=3", "name=light&weight=1", o => o.Strategy = LoadBalancingStrategy.WeightedRoundRobin);
        for (var i = 0; i < 2000; i++)
        {
            await ReadAsync(m);
        }

        Assert.InRange(ReadsOn(router, m, "heavy") / (double)ReadsOn(router, m, "light"), 2.7, 3.3);
    }

    [Fact]
    public async Task Least_connections_avoids_a_replica_held_busy_and_geographic_prefers_the_home_region()
    {
        var (m, router) = await ManagerWithAttributesAsync("name=busy&region=us-east", "name=idle&region=eu-west", o => { o.Strategy = LoadBalancingStrategy.LeastConnections; o.Region = "us-east"; });
        var busy = m.Replicas.Single(r => r.Name == "busy");
        using var release = new CancellationTokenSource();
        var holders = Enumerable.Range(0, 3).Select(_ => m.ExecuteAsync(DbIntent.Read, release.Token, static async (conn, token, ct) =>
        {
            await Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default); // hold the connection until released
            return 0;
        }, new PgCallOptions(Strategy: "geographic")).AsTask()).ToList(); // home region: all three on "busy"
        await TestServices.WaitUntilAsync(() => Task.FromResult(busy.BusyConnections == 3), TimeSpan.FromSeconds(5), "three connections held on the busy replica");

        var before = ReadsOn(router, m, "idle");
        for (var i = 0; i < 100; i++)
        {
            await ReadAsync(m);
        }

        Assert.Equal(before + 100, ReadsOn(router, m, "idle"));
        await release.CancelAsync();
        await Task.WhenAll(holders);

        // The same replicas by region: the home region takes every read.
        var (g, geo) = await ManagerWithAttributesAsync("name=us&region=us-east", "name=eu&region=eu-west", o => { o.Strategy = LoadBalancingStrategy.Geographic; o.Region = "eu-west"; });
        for (var i = 0; i < 100; i++)
        {
            await ReadAsync(g);
        }

        Assert.Equal(100, ReadsOn(geo, g, "eu"));
        Assert.Equal(0, ReadsOn(geo, g, "us"));
    }
}

