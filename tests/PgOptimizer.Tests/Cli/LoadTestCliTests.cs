using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class LoadTestCliTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    private Dictionary<string, string?> Env => new() { ["PGOPT_CONNECTION"] = _db.Connection };

    private static void AssertSound(JsonElement r)
    {
        Assert.True(r.GetProperty("totalRequests").GetInt64() > 0);
        Assert.Equal(0, r.GetProperty("errors").GetInt64());
        var l = r.GetProperty("latency");
        var (p50, p95, p99, max) = (l.GetProperty("p50Ms").GetDouble(), l.GetProperty("p95Ms").GetDouble(), l.GetProperty("p99Ms").GetDouble(), l.GetProperty("maxMs").GetDouble());
        Assert.True(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 <= max, $"percentiles out of order: {l}");
        Assert.True(r.GetProperty("rowsWritten").GetInt64() > 0);
        Assert.Equal(r.GetProperty("rowsWritten").GetInt64(), r.GetProperty("databaseRowsChanged").GetInt64());
        Assert.True(r.GetProperty("writesVerified").GetBoolean());
        Assert.True(r.GetProperty("peakDatabaseConnections").GetInt32() >= 1);
        Assert.InRange(r.GetProperty("indexCoverage").GetDouble(), 0.0, 1.0);
        Assert.InRange(r.GetProperty("peakBusyDatabaseConnections").GetInt32(), 0, r.GetProperty("peakDatabaseConnections").GetInt32());

        // CPU per request over the measured interval: the client always, PostgreSQL because the test
        // server runs on this machine; the whole machine's busy time holds both.
        var cpu = r.GetProperty("cpu");
        Assert.Equal(r.GetProperty("totalRequests").GetInt64(), cpu.GetProperty("requests").GetInt64());
        var client = cpu.GetProperty("clientMicrosPerRequest").GetDouble();
        var database = cpu.GetProperty("databaseMicrosPerRequest").GetDouble();
        Assert.True(client > 0 && database > 0, cpu.ToString());
        Assert.True(cpu.GetProperty("machineSeconds").GetDouble() >= cpu.GetProperty("clientSeconds").GetDouble() * 0.9, cpu.ToString());
        // what the machine spent beyond the client and the servers the run used (the streaming
        // replicas here, the kernel): named, never negative, and no more than the machine's whole
        var other = cpu.GetProperty("otherMicrosPerRequest").GetDouble();
        Assert.InRange(other, 0, cpu.GetProperty("machineMicrosPerRequest").GetDouble());

        // and the client's memory: each request allocates (a query's rows at least), collections of
        // a higher generation count in the lower ones too
        Assert.InRange(cpu.GetProperty("clientAllocatedBytesPerRequest").GetDouble(), 100, 10_000_000);
        Assert.True(cpu.GetProperty("clientAllocatedBytes").GetInt64() > 0, cpu.ToString());
        Assert.True(cpu.GetProperty("clientGcPauseMicrosPerRequest").GetDouble() >= 0, cpu.ToString());
        var gc = cpu.GetProperty("clientCollections");
        var (gen0, gen1, gen2) = (gc.GetProperty("gen0").GetInt32(), gc.GetProperty("gen1").GetInt32(), gc.GetProperty("gen2").GetInt32());
        Assert.True(gen0 >= gen1 && gen1 >= gen2 && gen2 >= 0, gc.ToString());

        // and its scheduling: each query waits on a socket, so the client's threads block and are
        // woken; the workers themselves are thread-pool work items
        Assert.True(cpu.GetProperty("clientContextSwitchesPerRequest").GetDouble() > 0, cpu.ToString());
        Assert.True(cpu.GetProperty("clientWorkItems").GetInt64() > 0, cpu.ToString());
        if (cpu.TryGetProperty("clientGcLongestPauseMs", out var longest) && longest.ValueKind == JsonValueKind.Number)
        {
            Assert.InRange(longest.GetDouble(), 0.0001, 10_000); // the runtime's events arrive a little late: present only when one was seen
        }
    }

    [Fact]
    public async Task Open_and_closed_loop_runs_report_sound_figures_and_writes_match_the_database()
    {
        var seed = await PgoptProcess.RunAsync(Env, "seed", "--scale", "0.001", "--json");
        Assert.True(seed.ExitCode == 0, seed.All);

        var open = await PgoptProcess.RunAsync(Env, "loadtest", "--rps", "150", "--duration", "3s", "--warmup", "1s", "--progress", "1s", "--json");
        Assert.True(open.ExitCode == 0, open.All);
        var o = JsonDocument.Parse(open.Stdout).RootElement;
        AssertSound(o);
        Assert.Equal("open loop", o.GetProperty("mode").GetString());
        Assert.InRange(o.GetProperty("totalRequests").GetInt64(), 400, 500); // 150/s for 3 s, scheduled, not best effort
        Assert.Equal("pgoptimizer+cache", o.GetProperty("executor").GetString()); // the toolkit's whole path by default
        Assert.InRange(o.GetProperty("cacheHitRate").GetDouble(), 0.01, 1.0); // the skewed keys repeat
        // the generator's own lateness is measured and reported (it runs on a thread of its own)
        var lag = o.GetProperty("generatorLag");
        Assert.Equal(o.GetProperty("totalRequests").GetInt64(), lag.GetProperty("count").GetInt64());
        Assert.InRange(lag.GetProperty("p50Ms").GetDouble(), 0, 50);
        // and each request's wait for a thread-pool thread after the hand-off, apart from its service time
        var startDelay = o.GetProperty("startDelay");
        Assert.Equal(o.GetProperty("totalRequests").GetInt64(), startDelay.GetProperty("count").GetInt64());
        Assert.InRange(startDelay.GetProperty("p50Ms").GetDouble(), 0, 50);
        Assert.True(startDelay.GetProperty("p99Ms").GetDouble() <= o.GetProperty("latency").GetProperty("maxMs").GetDouble(), startDelay.ToString());
        Assert.Equal(JsonValueKind.Array, o.GetProperty("cacheStrategies").ValueKind);
        // an open loop restarted itself with the collector whose short pauses keep its schedule, and a
        // thread pool of four workers per core at least that do not spin
        // (asked for 4 MB; the runtime raises the budget to the workstation collector's least, 6 MB)
        Assert.InRange(Gen0Megabytes(o.GetProperty("cpu").GetProperty("clientCollector").GetString()), 1, 7);
        Assert.Equal($"at least {4 * Environment.ProcessorCount} workers, idle workers park at once", o.GetProperty("cpu").GetProperty("clientThreadPool").GetString());

        // --progress: whole one-second intervals of the measured run, each with its own rate and CPU,
        // printed to standard error as they end and listed in the JSON
        var intervals = o.GetProperty("intervals").EnumerateArray().ToList();
        Assert.InRange(intervals.Count, 2, 3);
        Assert.Equal(intervals.Count, open.Stderr.Split('\n').Count(l => l.StartsWith("progress: ", StringComparison.Ordinal)));
        Assert.True(intervals.Sum(i => i.GetProperty("requests").GetInt64()) <= o.GetProperty("totalRequests").GetInt64());
        foreach (var i in intervals)
        {
            Assert.InRange(i.GetProperty("seconds").GetDouble(), 0.75, 1.5);
            Assert.InRange(i.GetProperty("throughput").GetDouble(), 75, 300); // the schedule's 150/s
            Assert.Equal(i.GetProperty("requests").GetInt64(), i.GetProperty("cpu").GetProperty("requests").GetInt64());
            Assert.True(i.GetProperty("cpu").GetProperty("clientMicrosPerRequest").GetDouble() > 0, i.ToString());
            Assert.InRange(i.GetProperty("cacheHitRatio").GetDouble(), 0.0, 1.0);
        }

        var closed = await PgoptProcess.RunAsync(Env, "loadtest", "--concurrency", "4", "--duration", "2s", "--warmup", "0s", "--raw", "--json");
        Assert.True(closed.ExitCode == 0, closed.All);
        var c = JsonDocument.Parse(closed.Stdout).RootElement;
        AssertSound(c);
        Assert.Equal("raw-npgsql", c.GetProperty("executor").GetString());
        Assert.Equal(JsonValueKind.Null, c.GetProperty("cacheHitRate").ValueKind);
        Assert.Equal(JsonValueKind.Null, c.GetProperty("generatorLag").ValueKind); // closed loop: no generator schedule
        Assert.Equal(JsonValueKind.Null, c.GetProperty("startDelay").ValueKind);
        Assert.Equal(JsonValueKind.Null, c.GetProperty("intervals").ValueKind); // no --progress
        Assert.DoesNotContain("progress: ", closed.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("server, ", c.GetProperty("cpu").GetProperty("clientCollector").GetString(), StringComparison.Ordinal); // a closed loop keeps the server collector's throughput
        Assert.EndsWith("workers, idle workers spin before parking", c.GetProperty("cpu").GetProperty("clientThreadPool").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_users_runtime_settings_win_over_the_open_loops()
    {
        var env = Env;
        env["DOTNET_gcServer"] = "1";
        var seed = await PgoptProcess.RunAsync(Env, "seed", "--scale", "0.001", "--json");
        Assert.True(seed.ExitCode == 0, seed.All);
        var open = await PgoptProcess.RunAsync(env, "loadtest", "--rps", "100", "--duration", "1s", "--warmup", "0s", "--json");
        Assert.True(open.ExitCode == 0, open.All);
        var cpu = JsonDocument.Parse(open.Stdout).RootElement.GetProperty("cpu");
        Assert.StartsWith("server, ", cpu.GetProperty("clientCollector").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("workers, idle workers park at once", cpu.GetProperty("clientThreadPool").GetString(), StringComparison.Ordinal); // the rest of the tuning still applies

        var closed = await PgoptProcess.RunAsync(Env, "loadtest", "--latency-tuning", "on", "--concurrency", "2", "--duration", "1s", "--warmup", "0s");
        Assert.True(closed.ExitCode == 0, closed.All);
        var line = System.Text.RegularExpressions.Regex.Match(System.Text.RegularExpressions.Regex.Replace(closed.Stdout, @"\s+", " "), "client collector: (workstation, [^;]*); client thread pool: at least ");
        Assert.True(line.Success, closed.Stdout);
        Assert.InRange(Gen0Megabytes(line.Groups[1].Value), 1, 7);
    }

    [Fact]
    public async Task Diagnostic_tools_can_attach_to_an_open_loop_after_its_restart()
    {
        // dotnet-trace, dotnet-counters and dotnet-gcdump find a process by its diagnostic port, a
        // socket named after its id and start time, both of which the in-place restart keeps.
        var seed = await PgoptProcess.RunAsync(Env, "seed", "--scale", "0.001", "--json");
        Assert.True(seed.ExitCode == 0, seed.All);
        using var p = PgoptProcess.Start(Env, "loadtest", "--rps", "50", "--duration", "60s", "--warmup", "0s", "--json");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(45);
            bool restarted = false, attached = false;
            string? lastError = null;
            while (!attached && !p.HasExited && DateTime.UtcNow < deadline)
            {
                // the restarted runtime's environment carries the load test's collector setting
                restarted = restarted || (await File.ReadAllTextAsync($"/proc/{p.Id}/environ")).Contains("DOTNET_GCgen0size=", StringComparison.Ordinal);
                var port = restarted ? PgOptimizer.Cli.Infrastructure.LoadTestRuntime.DiagnosticPorts(p.Id).FirstOrDefault() : null;
                if (port is not null)
                {
                    using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(port));
                        attached = true;
                    }
                    catch (System.Net.Sockets.SocketException ex)
                    {
                        lastError = $"{port}: {ex.SocketErrorCode}";
                    }
                }

                if (!attached)
                {
                    await Task.Delay(100); // polling the restart and the port, not timing anything
                }
            }

            Assert.True(restarted, "the open loop did not restart with its runtime settings");
            Assert.True(attached, $"no diagnostic port accepted a connection ({lastError ?? "none found"}); exited: {p.HasExited}");
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            await p.WaitForExitAsync();
            _ = await stdout;
            _ = await stderr;
        }
    }

    /// <summary>The generation-0 budget a report's collector names, for the workstation collector with background collections.</summary>
    private static int Gen0Megabytes(string? collector)
    {
        var m = System.Text.RegularExpressions.Regex.Match(collector ?? "", "^workstation, background collections, generation 0 up to ([0-9]+) MB$");
        Assert.True(m.Success, collector);
        return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Bad_rates_and_durations_exit_2()
    {
        Assert.Equal(2, (await PgoptProcess.RunAsync(Env, "loadtest", "--rps", "0", "--duration", "1s")).ExitCode);
        Assert.Equal(2, (await PgoptProcess.RunAsync(Env, "loadtest", "--duration", "soon")).ExitCode);
        var tooShort = await PgoptProcess.RunAsync(Env, "loadtest", "--duration", "1s", "--progress", "100ms");
        Assert.Equal(2, tooShort.ExitCode);
        Assert.Contains("--progress 100ms is too short", tooShort.All, StringComparison.Ordinal);
        Assert.Equal(2, (await PgoptProcess.RunAsync(Env, "loadtest", "--duration", "1s", "--progress", "often")).ExitCode);
        var badTuning = await PgoptProcess.RunAsync(Env, "loadtest", "--rps", "10", "--latency-tuning", "fast", "--duration", "1s");
        Assert.Equal(2, badTuning.ExitCode);
        Assert.Contains("--latency-tuning 'fast' is not a mode; give auto, on or off.", badTuning.All, StringComparison.Ordinal);
    }
}
