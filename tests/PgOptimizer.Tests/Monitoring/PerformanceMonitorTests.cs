using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Monitoring;

/// <summary>Client-side tracking, alerts, Redis sharing and export, on the real servers.</summary>
public sealed class PerformanceMonitorTests : IAsyncLifetime
{
    private readonly ManagedDatabase _m = new(
        db => db.ExecAsync("CREATE EXTENSION pg_stat_statements; CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 100) i"),
        o => o.MaxPoolSize = 10);

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _prefix = $"pgopt-test-{Guid.NewGuid():N}:";

    public Task InitializeAsync() => _m.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var d in _owned)
        {
            await d.DisposeAsync();
        }

        await _m.DisposeAsync();
    }

    private async Task<(DatabasePerformanceMonitor Monitor, PgConnectionManager Connections)> NewInstanceAsync(
        string instance, bool separateManager = false, Action<MonitoringOptions>? configure = null, TimeProvider? time = null)
    {
        var connections = _m.Connections;
        if (separateManager)
        {
            connections = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = _m.Db.Connection }));
            _owned.Add(connections);
        }

        var options = new MonitoringOptions { InstanceId = instance, RedisKeyPrefix = _prefix };
        configure?.Invoke(options);
        var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        _owned.Add(redis);
        var tracker = new QueryTracker(connections, Options.Create(options));
        var monitor = new DatabasePerformanceMonitor(connections, tracker, new ServerStatsCollector(connections, Options.Create(options)), redis, Options.Create(options), timeProvider: time);
        _owned.Add(new Disposer(() => { monitor.Dispose(); tracker.Dispose(); }));
        await Task.CompletedTask;
        return (monitor, connections);
    }

    [Fact]
    public async Task A_pg_sleep_over_the_threshold_is_a_slow_query_locally_and_in_redis_without_its_values()
    {
        // a threshold well above what the fast query takes even on a loaded two-core machine (it took 113 ms once)
        var (monitor, connections) = await NewInstanceAsync("slow-a", configure: o => o.SlowQueryThreshold = TimeSpan.FromMilliseconds(400));
        await connections.ScalarAsync(DbIntent.Write, "SELECT count(*) FROM items WHERE name = $1", ["fast-secret-value"]);
        await connections.ScalarAsync(DbIntent.Write, "SELECT pg_sleep(0.45), length($1::text)", ["secret-parameter-value"]);

        var local = Assert.Single(monitor.Tracker.SlowQueries.Recent());
        Assert.Equal("SELECT pg_sleep(?), length($1::text)", local.Sql);
        Assert.InRange(local.DurationMs, 450, 10_000);
        Assert.Equal("primary", local.Endpoint);

        Assert.True(await monitor.PublishAsync());
        var multiplexer = await TestServices.ConnectRedisAsync();
        await using (multiplexer)
        {
            var entries = await multiplexer.GetDatabase().StreamRangeAsync(_prefix + "slow");
            var json = (string)Assert.Single(entries)["q"]!;
            Assert.DoesNotContain("secret", json, StringComparison.Ordinal);
            var shared = JsonSerializer.Deserialize<SlowQuery>(json, WebJson)!;
            Assert.Equal(local.StatementId, shared.StatementId);
            Assert.Equal("slow-a", shared.Instance);
        }

        var listed = await monitor.GetSlowQueriesAsync(10);
        Assert.Equal(local.StatementId, Assert.Single(listed).StatementId);
        Assert.Equal(1, (await monitor.GetDatabaseHealthAsync()).Metrics.QueryPerformance.SlowQueryCount);
    }

    [Fact]
    public async Task The_same_statement_with_different_literals_is_one_statement_with_its_figures()
    {
        var (monitor, connections) = await NewInstanceAsync("norm");
        for (var i = 1; i <= 20; i++)
        {
            await connections.ScalarAsync(DbIntent.Write, $"SELECT name FROM items WHERE id = {i} AND name <> 'x{i}'");
        }

        await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await connections.ScalarAsync(DbIntent.Write, "SELECT 1 / (id - 1) FROM items WHERE id = 1"));

        var statements = monitor.LocalSnapshot().Statements;
        var s = Assert.Single(statements, s => s.Sql == "SELECT name FROM items WHERE id = ? AND name <> ?");
        Assert.Equal(20, s.Calls);
        Assert.Equal(0, s.Errors);
        var latency = s.Latency();
        Assert.Equal(20, latency.Count);
        Assert.True(latency.P50Ms > 0 && latency.P50Ms <= latency.P95Ms && latency.P95Ms <= latency.P99Ms && latency.P99Ms <= latency.MaxMs, latency.ToString());
        var failed = Assert.Single(statements, s => s.Sql.Contains("1 / (id - ?)", StringComparison.Ordinal) || s.Sql.Contains("?/(id - ?)", StringComparison.Ordinal) || s.Sql.StartsWith("SELECT ? / ", StringComparison.Ordinal));
        Assert.Equal(1, failed.Errors);
        Assert.DoesNotContain(statements, s => s.Sql.Contains("pgoptimizer", StringComparison.Ordinal));

        // a caller that gives up is not a failing statement
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connections.ScalarAsync(DbIntent.Write, "SELECT pg_sleep(5)", cancellationToken: cts.Token));
        Assert.Equal(0, Assert.Single(monitor.LocalSnapshot().Statements, s => s.Sql == "SELECT pg_sleep(?)").Errors);
    }

    [Fact]
    public async Task Commands_outside_the_manager_are_tracked_once_and_other_listeners_cause_no_double_counting()
    {
        var (monitor, connections) = await NewInstanceAsync("paths");

        // an OpenTelemetry-like listener that wants every Npgsql activity
        var otelSeen = 0;
        using var otel = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if (a.GetTagItem("db.npgsql.data_source") is string name && (name == connections.Primary.DataSourceName || name == connections.Primary.DirectDataSourceName))
                {
                    Interlocked.Increment(ref otelSeen);
                }
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(otel);

        await connections.ScalarAsync(DbIntent.Write, "SELECT count(*) FROM items WHERE id < $1", [5]); // timed by the manager
        await using (var direct = await connections.Primary.DataSource.OpenConnectionAsync()) // opened past the manager
        {
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM items WHERE id < 7", direct);
            await cmd.ExecuteScalarAsync();
        }

        await using (var fromSource = connections.Primary.DataSource.CreateCommand("SELECT count(*) FROM items WHERE id > 90"))
        {
            await fromSource.ExecuteScalarAsync();
        }

        var statements = monitor.LocalSnapshot().Statements;
        Assert.Equal(1, Assert.Single(statements, s => s.Sql == "SELECT count(*) FROM items WHERE id < $1").Calls);
        Assert.Equal(1, Assert.Single(statements, s => s.Sql == "SELECT count(*) FROM items WHERE id < ?").Calls);
        Assert.Equal(1, Assert.Single(statements, s => s.Sql == "SELECT count(*) FROM items WHERE id > ?").Calls);
        Assert.Equal(3, monitor.LocalSnapshot().Endpoints.Single(e => e.Name == "primary").Calls);
        Assert.Equal(3, otelSeen); // the other listener still sees every command
    }

    [Fact]
    public async Task Holding_connections_raises_the_usage_alert_after_its_for_duration_and_clears_it_with_hysteresis()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var webhook = new WebhookReceiver();
        var (monitor, connections) = await NewInstanceAsync("alerts", configure: o => o.AlertWebhookUrl = webhook.Url, time: time);
        var events = new List<AlertEvent>();
        // server-wide alerts may fire too (other tests share the server): watch this one
        monitor.AlertChanged += (_, e) =>
        {
            if (e.Name == AlertNames.ConnectionUsage)
            {
                events.Add(e);
            }
        };
        var held = new List<(TaskCompletionSource Release, Task Operation)>();
        async Task HoldAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var op = connections.WriteAsync<int>(async (c, ct) => { started.SetResult(); await release.Task; return 0; }).AsTask();
                await started.Task;
                held.Add((release, op));
            }
        }

        async Task ReleaseAsync(int count)
        {
            foreach (var h in held.Take(count).ToList())
            {
                h.Release.SetResult();
                await h.Operation;
                held.Remove(h);
            }
        }

        Alert? Usage(DatabaseHealth h) => h.Alerts.SingleOrDefault(a => a.Name == AlertNames.ConnectionUsage);

        await HoldAsync(8); // 80 % of 10: above the 70 % warning
        var h1 = await monitor.GetDatabaseHealthAsync();
        Assert.Equal(80, h1.Metrics.ConnectionHealth.ConnectionUsage);
        Assert.Equal(8, h1.Metrics.ConnectionHealth.ActiveConnections);
        Assert.Equal(AlertState.Pending, Usage(h1)!.State);
        Assert.Empty(events);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(AlertState.Pending, Usage(await monitor.GetDatabaseHealthAsync())!.State);

        time.Advance(TimeSpan.FromSeconds(2));
        var h2 = await monitor.GetDatabaseHealthAsync();
        Assert.Equal((AlertState.Firing, HealthLevel.Warning), (Usage(h2)!.State, Usage(h2)!.Severity));
        Assert.Equal(HealthLevel.Warning, h2.Metrics.ConnectionHealth.Status);
        Assert.True(h2.Overall >= HealthLevel.Warning);
        Assert.Contains(h2.Recommendations, r => r.Message == Usage(h2)!.Message && r.Action.Contains("MaxPoolSize", StringComparison.Ordinal));
        Assert.True(events.Count == 1, string.Join("; ", events));
        Assert.Equal("fired", events[0].Kind);

        await ReleaseAsync(1); // 70 %: at the threshold, inside the hysteresis margin (clears below 63 %)
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(AlertState.Firing, Usage(await monitor.GetDatabaseHealthAsync())!.State);

        await ReleaseAsync(1); // 60 %: below 63 %
        time.Advance(TimeSpan.FromSeconds(15));
        var h3 = await monitor.GetDatabaseHealthAsync();
        Assert.Null(Usage(h3));
        Assert.Equal(["fired", "resolved"], events.Select(e => e.Kind));

        var posted = await webhook.WaitForAsync(b => b.Contains("\"name\":\"connection_usage\"", StringComparison.Ordinal), 2, TimeSpan.FromSeconds(10));
        Assert.Contains(posted, b => b.Contains("\"kind\":\"fired\"", StringComparison.Ordinal));
        Assert.Contains(posted, b => b.Contains("\"kind\":\"resolved\"", StringComparison.Ordinal));
        await ReleaseAsync(held.Count);
    }

    [Fact]
    public async Task Two_instances_aggregate_through_redis_and_a_stopped_one_drops_out()
    {
        var (a, ca) = await NewInstanceAsync("instance-a", separateManager: true, o => o.InstanceTtl = TimeSpan.FromSeconds(2));
        var (b, cb) = await NewInstanceAsync("instance-b", separateManager: true, o => o.InstanceTtl = TimeSpan.FromSeconds(2));
        for (var i = 0; i < 3; i++)
        {
            await ca.ScalarAsync(DbIntent.Write, "SELECT name FROM items WHERE id = $1", [i + 1]);
        }

        for (var i = 0; i < 5; i++)
        {
            await cb.ScalarAsync(DbIntent.Write, "SELECT name FROM items WHERE id = $1", [i + 1]);
        }

        Assert.Equal(3, a.LocalSnapshot().Calls); // each tracker counts only its own manager's commands
        Assert.Equal(5, b.LocalSnapshot().Calls);
        Assert.True(await a.PublishAsync());
        Assert.True(await b.PublishAsync());

        var all = await a.AggregateAsync();
        Assert.Equal(2, all.Instances);
        Assert.Equal(8, all.Calls);
        var statement = Assert.Single(all.Statements);
        Assert.Equal(8, statement.Calls);
        Assert.Equal(8, statement.Latency().Count);
        Assert.Equal(8, all.Latency().TotalCount);
        Assert.Equal(200, all.Pools.Single(p => p.Name == "primary").Max); // two pools of the default 100

        // a reading young enough is reused (a dashboard step reads every instance once); an older one is read again
        await cb.ScalarAsync(DbIntent.Write, "SELECT name FROM items WHERE id = $1", [1]);
        Assert.True(await b.PublishAsync());
        Assert.Same(all, await a.AggregateAsync(TimeSpan.FromMinutes(1)));
        var fresh = await a.AggregateAsync(TimeSpan.Zero);
        Assert.Equal(9, fresh.Calls);
        Assert.Same(fresh, await a.AggregateAsync(TimeSpan.FromMinutes(1)));

        // b stops publishing: it drops out when its snapshot expires
        await TestServices.WaitUntilAsync(async () => (await a.AggregateAsync()).Instances == 1, TimeSpan.FromSeconds(15), "instance-b to expire");
        Assert.Equal(3, (await a.AggregateAsync()).Calls);
    }

    [Fact]
    public async Task The_exposition_with_client_figures_passes_promtool()
    {
        var (monitor, connections) = await NewInstanceAsync("prom");
        for (var i = 0; i < 10; i++)
        {
            await connections.ScalarAsync(DbIntent.Write, "SELECT name FROM items WHERE id = $1", [i + 1]);
        }

        await monitor.GetDatabaseHealthAsync();
        var pool = monitor.LocalSnapshot().Pools.Single(p => p.Name == "primary");
        Assert.Equal((0, 10), (pool.Busy, pool.Max));
        Assert.InRange(pool.Idle, 1, 10); // Npgsql keeps the physical connection open and idle
        var text = await monitor.ExportMetricsAsync(MetricsFormat.Prometheus);
        Assert.Contains("pgopt_query_duration_seconds_bucket{endpoint=\"primary\",le=\"+Inf\"} 10", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE pgopt_pool_wait_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("pgopt_statement_calls_total{statement_id=", text, StringComparison.Ordinal);
        Assert.Contains("pgopt_health_status ", text, StringComparison.Ordinal);
        await Promtool.CheckAsync(text);

        using var json = JsonDocument.Parse(await monitor.ExportMetricsAsync(MetricsFormat.Json));
        Assert.Equal(10, json.RootElement.GetProperty("queries").GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task OpenTelemetry_style_listeners_see_the_same_figures_on_the_meter()
    {
        var (monitor, connections) = await NewInstanceAsync("meter");
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string Name, double Value, string? Endpoint)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == PgOptimizer.Diagnostics.PgOptimizerDiagnostics.Name)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        void OnMeasurement(System.Diagnostics.Metrics.Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? endpoint = null;
            foreach (var t in tags)
            {
                if (t.Key == "endpoint")
                {
                    endpoint = t.Value as string;
                }
            }

            seen.Add((i.Name, v, endpoint));
        }

        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => OnMeasurement(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => OnMeasurement(i, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => OnMeasurement(i, v, tags));
        listener.Start();

        await connections.ScalarAsync(DbIntent.Write, "SELECT name FROM items WHERE id = $1", [1]);
        await monitor.GetDatabaseHealthAsync();
        listener.RecordObservableInstruments();

        Assert.Contains(seen, m => m.Name == "pgopt.db.query.duration" && m.Endpoint == "primary" && m.Value > 0);
        Assert.Contains(seen, m => m.Name == "pgopt.db.pool.max" && m.Endpoint == "primary" && m.Value == 10);
        Assert.Contains(seen, m => m.Name == "pgopt.db.server.connection.usage" && m.Value > 0);
        Assert.Contains(seen, m => m.Name == "pgopt.health.status");
    }

    [Fact]
    public async Task Health_has_the_documented_shape()
    {
        var (monitor, connections) = await NewInstanceAsync("shape");
        await connections.ScalarAsync(DbIntent.Write, "SELECT count(*) FROM items");
        var health = await monitor.GetDatabaseHealthAsync();
        var json = JsonDocument.Parse(JsonSerializer.Serialize(health, WebJson)).RootElement;
        Assert.Equal("healthy", json.GetProperty("overall").GetString());
        var metrics = json.GetProperty("metrics");
        Assert.Equal(0, metrics.GetProperty("connectionHealth").GetProperty("activeConnections").GetInt32());
        Assert.Equal("healthy", metrics.GetProperty("connectionHealth").GetProperty("status").GetString());
        Assert.Equal(1, metrics.GetProperty("queryPerformance").GetProperty("calls").GetInt64());
        Assert.True(metrics.GetProperty("queryPerformance").GetProperty("avgResponseTime").GetDouble() > 0);
        Assert.Equal(0, metrics.GetProperty("queryPerformance").GetProperty("errorRate").GetDouble());
        Assert.Equal("server buffer cache", metrics.GetProperty("cachePerformance").GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Array, json.GetProperty("alerts").ValueKind);
        Assert.Equal(JsonValueKind.Array, json.GetProperty("recommendations").ValueKind);
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A loopback HTTP endpoint that records the bodies POSTed to it.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _bodies = [];

        public WebhookReceiver()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = new Uri($"http://127.0.0.1:{port}/hook/secret-token/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public Uri Url { get; }

        public async Task<List<string>> WaitForAsync(Func<string, bool> match, int count, TimeSpan timeout)
        {
            await TestServices.WaitUntilAsync(() => { lock (_bodies) { return Task.FromResult(_bodies.Count(match) >= count); } }, timeout, $"{count} webhook calls");
            lock (_bodies)
            {
                return [.. _bodies.Where(match)];
            }
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                try
                {
                    var ctx = await _listener.GetContextAsync();
                    using var reader = new StreamReader(ctx.Request.InputStream);
                    var body = await reader.ReadToEndAsync();
                    lock (_bodies)
                    {
                        _bodies.Add(body);
                    }

                    ctx.Response.StatusCode = 204;
                    ctx.Response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
            }
        }

        public void Dispose() => _listener.Close();
    }


    [Fact]
    public async Task Every_replica_out_of_rotation_is_a_critical_alert_with_what_to_do()
    {
        var options = new MonitoringOptions { InstanceId = "rotation", RedisKeyPrefix = _prefix };
        var redis = new RedisConnection(Options.Create(new RedisOptions { Url = TestServices.RedisUrl }));
        _owned.Add(redis);
        var tracker = new QueryTracker(_m.Connections, Options.Create(options));
        var rotation = new FixedRotation { Rotation = new ReplicaRotation(2, 1, ["replica2"]) };
        var monitor = new DatabasePerformanceMonitor(_m.Connections, tracker, new ServerStatsCollector(_m.Connections, Options.Create(options)), redis, Options.Create(options), rotation: rotation);
        _owned.Add(new Disposer(() => { monitor.Dispose(); tracker.Dispose(); }));

        var half = await monitor.EvaluateAsync(new HealthEvaluation { IgnoreForDurations = true });
        var alert = Assert.Single(half.Alerts, a => a.Name == AlertNames.ReplicasOutOfRotation);
        Assert.Equal(HealthLevel.Warning, alert.Severity);
        Assert.Equal("replica2", alert.Subject);

        rotation.Rotation = new ReplicaRotation(2, 0, ["replica1", "replica2"]);
        var all = await monitor.EvaluateAsync(new HealthEvaluation { IgnoreForDurations = true });
        Assert.Equal(HealthLevel.Critical, Assert.Single(all.Alerts, a => a.Name == AlertNames.ReplicasOutOfRotation).Severity);
        Assert.Contains(all.Recommendations, r => r.Action.Contains("pgopt replicas", StringComparison.Ordinal));

        rotation.Rotation = new ReplicaRotation(2, 2, []);
        var back = await monitor.EvaluateAsync(new HealthEvaluation { IgnoreForDurations = true });
        Assert.DoesNotContain(back.Alerts, a => a.Name == AlertNames.ReplicasOutOfRotation);
    }

    private sealed class FixedRotation : IReplicaRotationSource
    {
        public ReplicaRotation? Rotation { get; set; }

        public ReplicaRotation? GetRotation() => Rotation;
    }

}

/// <summary>Runs promtool check metrics on an exposition.</summary>
public static class Promtool
{
    public static async Task CheckAsync(string exposition)
    {
        var psi = new ProcessStartInfo("promtool", ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var promtool = Process.Start(psi)!;
        await promtool.StandardInput.WriteAsync(exposition);
        promtool.StandardInput.Close();
        var problems = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        Assert.True(promtool.ExitCode == 0, problems + "\n" + exposition);
    }
}
