using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using PgOptimizer.Diagnostics;
using Polly;
using Polly.CircuitBreaker;

namespace PgOptimizer.Connections;

/// <summary>
/// One database endpoint: its pooled <see cref="NpgsqlDataSource"/>, its own circuit breaker and
/// attempt timeout, and live figures (connections in use, circuit state). Created by
/// <see cref="PgConnectionManager"/>; one per primary and per replica.
/// </summary>
public sealed class PgEndpoint : IAsyncDisposable
{
    private readonly CircuitBreakerStateProvider _breakerState = new();
    private readonly long _breakMs;
    private int _busy;
    private int _peakBusy;
    private long _probeAfterMs;
    private long _operations;
    private long _errors;
    private long _sessionResets;
    private ReplicaLagReading? _lag;
    private static int s_sequence;

    internal PgEndpoint(string name, EndpointRole role, NpgsqlConnectionStringBuilder settings, ConnectionOptions options, Action<PgEndpoint, CircuitState>? onCircuitChange, ReplicaOptions? replica = null)
    {
        Name = name;
        Role = role;
        Host = HostKind.Of(settings.Host);
        Weight = replica?.Weight ?? 1;
        Region = replica?.Region ?? Host.Region;
        QueryTypes = replica?.QueryTypes.ToArray() ?? [];
        Latency = new LatencyEwma(options.LatencyDecay);
        Settings = settings;
        Description = ConnectionStringParser.Describe(settings);
        MaxPoolSize = settings.MaxPoolSize;
        _breakMs = (long)options.BreakerBreakDuration.TotalMilliseconds;

        // A process-unique name: Npgsql tags its command activities and pool metrics with it, which
        // is how monitoring tells this endpoint's commands from those of other data sources.
        DataSourceName = $"pgopt-{name}-{Interlocked.Increment(ref s_sequence)}";
        Commands = new CommandTimer(this);
        // The manager's calls get a pool of their own that Npgsql does not reset on return (the
        // manager resets a session only after a call that changed it); everything else — probes,
        // monitoring, index builds, the application's direct use — keeps Npgsql's reset on return.
        var separate = options.SessionReset == SessionResetMode.WhenChanged && !settings.NoResetOnClose;
        var callSettings = settings;
        if (separate)
        {
            callSettings = new NpgsqlConnectionStringBuilder(settings.ConnectionString) { NoResetOnClose = true };
            DirectDataSourceName = DataSourceName + "-direct";
            // A minimum pool size is for the application's calls: the direct pool keeps none warm.
            DataSource = Build(new NpgsqlConnectionStringBuilder(settings.ConnectionString) { MinPoolSize = 0 }, DirectDataSourceName);
            CallSource = Build(callSettings, DataSourceName);
        }
        else
        {
            DirectDataSourceName = DataSourceName;
            DataSource = CallSource = Build(settings, DataSourceName);
        }

        CallsSkipReset = callSettings.NoResetOnClose;
        ResetsChangedSessions = callSettings.NoResetOnClose && !Host.IsPooler; // behind a transaction-mode pooler there is no session to keep

        Pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                Name = $"{name}-breaker",
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerBreakDuration,
                StateProvider = _breakerState,
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && PostgresErrorClassifier.IsEndpointFailure(ex)),
                OnOpened = args =>
                {
                    Volatile.Write(ref _probeAfterMs, Environment.TickCount64 + (long)args.BreakDuration.TotalMilliseconds);
                    onCircuitChange?.Invoke(this, CircuitState.Open);
                    return default;
                },
                OnClosed = args => { onCircuitChange?.Invoke(this, CircuitState.Closed); return default; },
                OnHalfOpened = args => { onCircuitChange?.Invoke(this, CircuitState.HalfOpen); return default; },
            })
            .Build();
    }

    /// <summary>"primary", "replica1", ...</summary>
    public string Name { get; }

    /// <summary>Primary or replica.</summary>
    public EndpointRole Role { get; }

    /// <summary>What the host name says: Neon, PgBouncer pooler.</summary>
    public HostKind Host { get; }

    /// <summary>user@host:port/database, without the password.</summary>
    public string Description { get; }

    /// <summary>
    /// A pooled data source for work outside the manager's calls (it bypasses retries and breakers).
    /// Its connections are reset when they go back to the pool, as Npgsql does by default; with
    /// <see cref="SessionResetMode.WhenChanged"/> the manager's calls use a pool of their own.
    /// </summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The name Npgsql reports for the data source of this endpoint's calls (activities, pool metrics).</summary>
    public string DataSourceName { get; }

    /// <summary>The name Npgsql reports for <see cref="DataSource"/>: <see cref="DataSourceName"/> with "-direct" when the calls have a pool of their own.</summary>
    public string DirectDataSourceName { get; }

    /// <summary>Sessions the manager reset after a call that changed them (<see cref="SessionResetMode.WhenChanged"/>).</summary>
    public long SessionResets => Interlocked.Read(ref _sessionResets);

    /// <summary>The pool of the manager's calls.</summary>
    internal NpgsqlDataSource CallSource { get; }

    /// <summary>Whether Npgsql leaves the calls' connections unreset on return (the baseline of a load test copies it).</summary>
    internal bool CallsSkipReset { get; }

    /// <summary>Whether the manager resets a call's session itself when the call changed it.</summary>
    internal bool ResetsChangedSessions { get; }

    internal void CountSessionReset() => Interlocked.Increment(ref _sessionResets);

    private NpgsqlDataSource Build(NpgsqlConnectionStringBuilder settings, string dataSourceName)
    {
        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString) { Name = dataSourceName };
        builder.ConfigureTracing(t => t
            .ConfigureCommandFilter(Commands.OnCommandStart) // where the manager's command timing starts
            .ConfigureBatchFilter(Commands.OnBatchStart)
            .EnableFirstResponseEvent(false) // one ActivityEvent allocation per command that nothing here reads
            .EnablePhysicalOpenTracing(false));
        return builder.Build();
    }

    /// <summary>Time callers waited for a connection from this endpoint's pool (microseconds).</summary>
    public LatencyHistogram ConnectionWait { get; } = new();

    /// <summary>The effective settings (contains the password: never print it; use <see cref="Description"/>).</summary>
    internal NpgsqlConnectionStringBuilder Settings { get; }

    internal ResiliencePipeline Pipeline { get; }

    /// <summary>Times the commands on connections handed out by the manager.</summary>
    internal CommandTimer Commands { get; }

    /// <summary>The circuit breaker's state: Closed (healthy), Open (rejecting), HalfOpen (probing), Isolated.</summary>
    public CircuitState CircuitState => _breakerState.CircuitState;

    /// <summary>True when the circuit is closed (the endpoint takes requests normally).</summary>
    public bool IsAvailable => CircuitState == CircuitState.Closed;

    /// <summary>
    /// Whether a selector may send a request here, without claiming anything: always when the
    /// circuit is closed; when it is open or half-open, only once a probe is due (one per break
    /// duration). Selectors that look at every endpoint ask this, then claim with
    /// <see cref="TryClaimProbe"/> only the endpoint they choose.
    /// </summary>
    public bool AcceptsRequests => CircuitState switch
    {
        CircuitState.Closed => true,
        CircuitState.Isolated => false,
        _ => Environment.TickCount64 >= Volatile.Read(ref _probeAfterMs),
    };

    /// <summary>
    /// Claims the right to send a request here: always granted while the circuit is closed; when it
    /// is not, granted to one caller per break duration (the breaker moves to half-open only when a
    /// call reaches it, so without a probe an open endpoint would never be tried again).
    /// </summary>
    public bool TryClaimProbe()
    {
        var state = CircuitState;
        if (state == CircuitState.Closed)
        {
            return true;
        }

        if (state == CircuitState.Isolated)
        {
            return false;
        }

        var now = Environment.TickCount64;
        var after = Volatile.Read(ref _probeAfterMs);
        return now >= after && Interlocked.CompareExchange(ref _probeAfterMs, now + _breakMs, after) == after;
    }

    /// <summary>Asks and claims at once: <see cref="AcceptsRequests"/> then <see cref="TryClaimProbe"/>.</summary>
    public bool CanAcceptRequest() => AcceptsRequests && TryClaimProbe();

    /// <summary>Relative share of reads for weighted strategies (a replica's configured weight; 1 for the primary).</summary>
    public int Weight { get; }

    /// <summary>Where the endpoint runs, for geographic routing: configured, or a Neon host's region; null when unknown.</summary>
    public string? Region { get; }

    /// <summary>The query types a replica is configured for; empty for all but Consistent.</summary>
    public IReadOnlyList<QueryType> QueryTypes { get; }

    /// <summary>Time-decayed latency averages of attempts on this endpoint, as the manager timed them.</summary>
    internal LatencyEwma Latency { get; }

    /// <summary>Mean attempt latency (time-decayed average), ms; null before any attempt.</summary>
    public double? LatencyEwmaMs => Latency.AverageMs;

    /// <summary>The latest lag reading of a replica (null for the primary and before the first probe).</summary>
    public ReplicaLagReading? Lag => Volatile.Read(ref _lag);

    /// <summary>The WAL position this replica has replayed, as of the latest probe; null when unknown.</summary>
    public NpgsqlLogSequenceNumber? ReplayPosition => Lag?.ReplayPosition;

    /// <summary>True when this endpoint has replayed at least to <paramref name="position"/> (as of the latest lag probe); always true without a position.</summary>
    public bool HasReplayed(NpgsqlLogSequenceNumber? position) =>
        position is not { } p || Role == EndpointRole.Primary || (ReplayPosition is { } r && (ulong)r >= (ulong)p);

    /// <summary>Attempts that failed on this endpoint.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    internal void SetLag(ReplicaLagReading reading) => Volatile.Write(ref _lag, reading);

    /// <summary>Duration of successful attempts on this endpoint as the manager timed them, from connection to result (microseconds).</summary>
    public LatencyHistogram AttemptLatency { get; } = new();

    internal void RecordAttempt(long elapsedTicks, bool failed)
    {
        if (failed)
        {
            Interlocked.Increment(ref _errors); // a fast failure must not make an endpoint look fast
            return;
        }

        Latency.Observe(elapsedTicks, Stopwatch.GetTimestamp());
        AttemptLatency.RecordTicks(elapsedTicks);
    }

    /// <summary>Connections currently handed out by the connection manager.</summary>
    public int BusyConnections => Volatile.Read(ref _busy);

    /// <summary>Most connections in use at once since start.</summary>
    public int PeakBusyConnections => Volatile.Read(ref _peakBusy);

    /// <summary>Maximum connections of this endpoint's pool.</summary>
    public int MaxPoolSize { get; }

    /// <summary>Operations this endpoint has started through the connection manager.</summary>
    public long OperationsStarted => Interlocked.Read(ref _operations);

    internal void EnterConnection()
    {
        Interlocked.Increment(ref _operations);
        var now = Interlocked.Increment(ref _busy);
        int peak;
        while (now > (peak = Volatile.Read(ref _peakBusy)) && Interlocked.CompareExchange(ref _peakBusy, now, peak) != peak)
        {
        }
    }

    internal void LeaveConnection() => Interlocked.Decrement(ref _busy);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync().ConfigureAwait(false);
        if (!ReferenceEquals(CallSource, DataSource))
        {
            await CallSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Description})";
}
