using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Reads the CPU time of the parts a load test runs on, so a report can say where each request's
/// time went: this process (the client), the PostgreSQL servers (each server's postmaster with its
/// live backends and the ones that exited, from <c>/proc</c>, when the server runs on this machine)
/// and Redis (<c>INFO cpu</c>, wherever it runs). What cannot be read is null, never a guess.
/// </summary>
public sealed class CpuMeter : IAsyncDisposable
{
    private const double ClockTicks = 100.0; // USER_HZ: 100 on every Linux architecture .NET runs on
    private readonly int[] _postmasters;
    private readonly StackExchange.Redis.ConnectionMultiplexer? _redis;
    private readonly GcPauseLog _pauses = new();

    private CpuMeter(int[] postmasters, StackExchange.Redis.ConnectionMultiplexer? redis)
    {
        _postmasters = postmasters;
        _redis = redis;
    }

    /// <summary>True when the PostgreSQL servers' CPU can be read (they run on this machine).</summary>
    public bool ReadsDatabase => _postmasters.Length > 0;

    /// <summary>
    /// Finds the local PostgreSQL servers behind <paramref name="servers"/> (a server on another
    /// machine, or a platform without <c>/proc</c>, is left out) and Redis behind <paramref name="redis"/>.
    /// </summary>
    public static async Task<CpuMeter> CreateAsync(IEnumerable<NpgsqlDataSource> servers, RedisConnection? redis, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var postmasters = new HashSet<int>();
        if (OperatingSystem.IsLinux())
        {
            foreach (var source in servers)
            {
                if (await PostmasterOfAsync(source, cancellationToken).ConfigureAwait(false) is { } pid)
                {
                    postmasters.Add(pid);
                }
            }
        }

        StackExchange.Redis.ConnectionMultiplexer? admin = null;
        try
        {
            admin = redis is null ? null : await redis.ConnectAdminAsync().ConfigureAwait(false);
        }
        catch (StackExchange.Redis.RedisException)
        {
            // Redis unreachable: its CPU is not measured
        }

        return new CpuMeter([.. postmasters], admin);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _pauses.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The CPU seconds used so far by each part.</summary>
    public async Task<CpuReading> ReadAsync(CancellationToken cancellationToken = default)
    {
        var usage = ProcessUsage.Read();
        double client;
        if (usage is { } u)
        {
            client = u.CpuSeconds;
        }
        else
        {
            using var self = Process.GetCurrentProcess();
            client = self.TotalProcessorTime.TotalSeconds;
        }

        double? database = _postmasters.Length == 0 ? null : ReadPostgres();
        double? redis = _redis is null ? null : await ReadRedisAsync(_redis).ConfigureAwait(false);
        return new CpuReading(Stopwatch.GetTimestamp(), client, database, redis, ReadMachineBusy())
        {
            ClientAllocatedBytes = GC.GetTotalAllocatedBytes(),
            ClientGcPause = GC.GetTotalPauseDuration(),
            ClientGen0Collections = GC.CollectionCount(0),
            ClientGen1Collections = GC.CollectionCount(1),
            ClientGen2Collections = GC.CollectionCount(2),
            ClientWorkItems = ThreadPool.CompletedWorkItemCount,
            ClientContextSwitches = usage?.ContextSwitches,
            Pauses = _pauses,
            PausesLogged = _pauses.Count,
        };
    }

    private double? ReadPostgres()
    {
        double total = 0;
        var children = new Dictionary<int, double>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || ReadStat(pid) is not { } stat)
            {
                continue;
            }

            if (Array.IndexOf(_postmasters, stat.ParentPid) >= 0)
            {
                children[pid] = stat.Own;
            }
        }

        foreach (var postmaster in _postmasters)
        {
            if (ReadStat(postmaster) is not { } stat)
            {
                return null; // a server restarted mid-run: its backends' time is lost
            }

            // A backend that exited is counted in its postmaster's children time.
            total += stat.Own + stat.Children;
        }

        return total + children.Values.Sum();
    }

    private static async Task<double?> ReadRedisAsync(StackExchange.Redis.ConnectionMultiplexer multiplexer)
    {
        try
        {
            if (!multiplexer.IsConnected)
            {
                return null;
            }

            double total = 0;
            foreach (var server in multiplexer.GetServers())
            {
                var info = await server.InfoAsync("cpu").ConfigureAwait(false);
                foreach (var pair in info.SelectMany(g => g))
                {
                    if (pair.Key is "used_cpu_sys" or "used_cpu_user" && double.TryParse(pair.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                    {
                        total += seconds;
                    }
                }
            }

            return total;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return null;
        }
    }

    private static async Task<int?> PostmasterOfAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        var host = new NpgsqlConnectionStringBuilder(source.ConnectionString).Host ?? string.Empty;
        var local = host.Split(',').All(h => h.StartsWith('/') || h is "localhost" || (IPAddress.TryParse(h.Split(':')[0], out var ip) && IPAddress.IsLoopback(ip)));
        if (!local)
        {
            return null;
        }

        try
        {
            await using var conn = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT pg_backend_pid()", conn);
            var backend = (int)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            // The backend is a child of the server's postmaster; in a container or another namespace
            // the pid means nothing here, so the process must exist and be a postgres.
            return ReadStat(backend) is { Command: "postgres" } stat && ReadStat(stat.ParentPid) is { Command: "postgres" } ? stat.ParentPid : null;
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    private static ProcStat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // pid (comm) state ppid ... utime(14) stime(15) cutime(16) cstime(17): the command may hold spaces and parentheses.
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }

        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 15)
        {
            return null;
        }

        long F(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
        return new ProcStat(text[(open + 1)..close], (int)F(1), (F(11) + F(12)) / ClockTicks, (F(13) + F(14)) / ClockTicks);
    }

    private static double? ReadMachineBusy()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal ...
            var line = File.ReadLines("/proc/stat").First();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            return (f.Sum() - f[3] - f[4]) / ClockTicks;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private readonly record struct ProcStat(string Command, int ParentPid, double Own, double Children);
}

/// <summary>CPU seconds used so far by each part; null where it cannot be read.</summary>
/// <param name="Timestamp">When it was read (<see cref="Stopwatch.GetTimestamp"/>).</param>
/// <param name="Client">This process.</param>
/// <param name="Database">The PostgreSQL servers on this machine.</param>
/// <param name="Redis">Redis, as it reports itself.</param>
/// <param name="Machine">All processes on this machine, busy time of all cores.</param>
public readonly record struct CpuReading(long Timestamp, double Client, double? Database, double? Redis, double? Machine)
{
    /// <summary>Bytes this process allocated so far (<see cref="GC.GetTotalAllocatedBytes"/>); null when not read.</summary>
    public long? ClientAllocatedBytes { get; init; }

    /// <summary>Time this process's threads were paused for garbage collection so far.</summary>
    public TimeSpan? ClientGcPause { get; init; }

    /// <summary>Garbage collections of generation 0 so far (each higher one counts here too).</summary>
    public int? ClientGen0Collections { get; init; }

    /// <summary>Garbage collections of generation 1 so far (generation 2's included).</summary>
    public int? ClientGen1Collections { get; init; }

    /// <summary>Full (generation 2) garbage collections so far.</summary>
    public int? ClientGen2Collections { get; init; }

    /// <summary>Work items this process's thread pool completed so far (<see cref="ThreadPool.CompletedWorkItemCount"/>).</summary>
    public long? ClientWorkItems { get; init; }

    /// <summary>Context switches of this process's threads so far, voluntary and involuntary (Linux; null elsewhere).</summary>
    public long? ClientContextSwitches { get; init; }

    /// <summary>The log of this process's GC pauses, and how many it held at this reading.</summary>
    internal GcPauseLog? Pauses { get; init; }

    internal int PausesLogged { get; init; }

    /// <summary>The CPU used between <paramref name="start"/> and this reading, per request of <paramref name="requests"/>.</summary>
    public CpuUsage Since(CpuReading start, long requests) => new(
        Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds,
        requests,
        Client - start.Client,
        Database - start.Database,
        Redis - start.Redis,
        Machine - start.Machine,
        Environment.ProcessorCount)
    {
        ClientAllocatedBytes = ClientAllocatedBytes - start.ClientAllocatedBytes,
        ClientGcPauseSeconds = (ClientGcPause - start.ClientGcPause)?.TotalSeconds,
        ClientGen0Collections = ClientGen0Collections - start.ClientGen0Collections,
        ClientGen1Collections = ClientGen1Collections - start.ClientGen1Collections,
        ClientGen2Collections = ClientGen2Collections - start.ClientGen2Collections,
        ClientGcLongestPauseMs = Pauses?.LongestMs(start.PausesLogged, PausesLogged),
        ClientWorkItems = ClientWorkItems - start.ClientWorkItems,
        ClientContextSwitches = ClientContextSwitches - start.ClientContextSwitches,
        ClientCollector = Collector.Value,
        ClientThreadPool = DescribeThreadPool(),
    };

    private static readonly Lazy<string> Collector = new(DescribeCollector);

    /// <summary>This process's thread pool as configured: its least workers, and whether idle workers spin before they park.</summary>
    private static string DescribeThreadPool()
    {
        ThreadPool.GetMinThreads(out var workers, out _);
        var spin = Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") ?? AppContext.GetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit")?.ToString();
        return $"at least {workers} workers, idle workers {(spin is "0" ? "park at once" : "spin before parking")}";
    }

    /// <summary>This process's garbage collector as the runtime was configured at start-up.</summary>
    private static string DescribeCollector()
    {
        var c = GC.GetConfigurationVariables();
        bool On(string name) => c.TryGetValue(name, out var v) && v is true or 1L or 1;
        var kind = On("ServerGC")
            ? $"server, {(c.TryGetValue("HeapCount", out var heaps) ? heaps : "?")} heaps{(On("GCDynamicAdaptationMode") ? ", adapting to the application's size (DATAS)" : string.Empty)}"
            : "workstation";
        var background = On("ConcurrentGC") ? ", background collections" : string.Empty;
        var gen0 = c.TryGetValue("GCGen0MaxBudget", out var budget) && budget is long b && b > 0 ? $", generation 0 up to {b / (1024 * 1024)} MB" : string.Empty;
        return kind + background + gen0;
    }
}

/// <summary>
/// CPU used over a load test's measured interval: seconds of each part and microseconds per request.
/// The machine's figure is every process on it (client, servers and anything else running).
/// </summary>
public sealed record CpuUsage(double Seconds, long Requests, double ClientSeconds, double? DatabaseSeconds, double? RedisSeconds, double? MachineSeconds, int Cores)
{
    /// <summary>Client CPU per request, µs.</summary>
    public double? ClientMicrosPerRequest => PerRequest(ClientSeconds);

    /// <summary>PostgreSQL CPU per request, µs (null when the servers are not on this machine).</summary>
    public double? DatabaseMicrosPerRequest => PerRequest(DatabaseSeconds);

    /// <summary>Redis CPU per request, µs (null without Redis).</summary>
    public double? RedisMicrosPerRequest => PerRequest(RedisSeconds);

    /// <summary>All of the machine's busy CPU per request, µs.</summary>
    public double? MachineMicrosPerRequest => PerRequest(MachineSeconds);

    /// <summary>
    /// The machine's busy CPU per request that is neither the client's, the servers' the run used
    /// (PostgreSQL) nor Redis's, µs: the kernel's interrupts, a streaming replica the run does not
    /// read from, anything else running. Null when the machine or the servers were not read; never
    /// below zero (the parts are read at slightly different instants).
    /// </summary>
    public double? OtherMicrosPerRequest =>
        MachineSeconds is { } m && DatabaseSeconds is { } db ? PerRequest(Math.Max(0, m - ClientSeconds - db - (RedisSeconds ?? 0))) : null;

    /// <summary>Bytes the client allocated over the interval (null when not read).</summary>
    public long? ClientAllocatedBytes { get; init; }

    /// <summary>Seconds the client's threads were paused for garbage collection over the interval.</summary>
    public double? ClientGcPauseSeconds { get; init; }

    /// <summary>The client's generation 0 collections over the interval (higher generations' included).</summary>
    public int? ClientGen0Collections { get; init; }

    /// <summary>The client's generation 1 collections over the interval (generation 2's included).</summary>
    public int? ClientGen1Collections { get; init; }

    /// <summary>The client's full collections over the interval.</summary>
    public int? ClientGen2Collections { get; init; }

    /// <summary>The longest single GC pause of the client over the interval, ms (null when none was seen): every thread stops for it, an open-loop generator's included.</summary>
    public double? ClientGcLongestPauseMs { get; init; }

    /// <summary>Work items the client's thread pool ran over the interval (null when not read).</summary>
    public long? ClientWorkItems { get; init; }

    /// <summary>Context switches of the client's threads over the interval (null when not read).</summary>
    public long? ClientContextSwitches { get; init; }

    /// <summary>
    /// The client's garbage collector as configured at start-up: server or workstation, heaps,
    /// generation 0's largest budget. It sets how long a pause, and so an open loop's tail, can be.
    /// </summary>
    public string? ClientCollector { get; init; }

    /// <summary>The client's thread pool as configured: its least workers, and whether idle workers spin before they park.</summary>
    public string? ClientThreadPool { get; init; }

    /// <summary>
    /// Thread-pool work items per request: each asynchronous step that resumes on the pool (a
    /// socket's completion, a timer, a queued continuation) is one. A count of work, not of time, so
    /// another process's load does not move it.
    /// </summary>
    public double? ClientWorkItemsPerRequest => ClientWorkItems is { } w && Requests > 0 ? (double)w / Requests : null;

    /// <summary>
    /// The client's context switches per request: a thread that blocks or is woken costs system time
    /// and, on a virtual machine, the hypervisor's; what the kernel's share of the CPU grows with.
    /// </summary>
    public double? ClientContextSwitchesPerRequest => ClientContextSwitches is { } c && Requests > 0 ? (double)c / Requests : null;

    /// <summary>Bytes the client allocated per request: what its garbage collector has to clear.</summary>
    public double? ClientAllocatedBytesPerRequest => ClientAllocatedBytes is { } b && Requests > 0 ? (double)b / Requests : null;

    /// <summary>The client's garbage-collection pauses per request, µs.</summary>
    public double? ClientGcPauseMicrosPerRequest => PerRequest(ClientGcPauseSeconds);

    /// <summary>The machine's busy share of all its cores over the interval.</summary>
    public double? MachineUtilization => MachineSeconds is { } m && Seconds > 0 ? m / (Seconds * Cores) : null;

    private double? PerRequest(double? seconds) => seconds is { } s && Requests > 0 ? s * 1_000_000 / Requests : null;
}
