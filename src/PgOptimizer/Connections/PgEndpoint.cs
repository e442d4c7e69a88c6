using Npgsql;
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
    private static int s_sequence;

    internal PgEndpoint(string name, EndpointRole role, NpgsqlConnectionStringBuilder settings, ConnectionOptions options, Action<PgEndpoint, CircuitState>? onCircuitChange)
    {
        Name = name;
        Role = role;
        Host = HostKind.Of(settings.Host);
        Settings = settings;
        Description = ConnectionStringParser.Describe(settings);
        MaxPoolSize = settings.MaxPoolSize;
        _breakMs = (long)options.BreakerBreakDuration.TotalMilliseconds;

        // A process-unique name: Npgsql tags its command activities and pool metrics with it, which
        // is how monitoring tells this endpoint's commands from those of other data sources.
        DataSourceName = $"pgopt-{name}-{Interlocked.Increment(ref s_sequence)}";
        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString) { Name = DataSourceName };
        Commands = new CommandTimer(this);
        builder.ConfigureTracing(t => t
            .ConfigureCommandFilter(Commands.OnCommandStart) // where the manager's command timing starts
            .ConfigureBatchFilter(Commands.OnBatchStart)
            .EnableFirstResponseEvent(false) // one ActivityEvent allocation per command that nothing here reads
            .EnablePhysicalOpenTracing(false));
        DataSource = builder.Build();

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

    /// <summary>The pooled data source. Use it directly only for work that must bypass retries.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The name Npgsql reports for this endpoint's data source (activities, pool metrics).</summary>
    public string DataSourceName { get; }

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
    /// Whether a selector may send this request here: always when the circuit is closed; when it is
    /// open or half-open, only for one probe per break duration (the breaker moves to half-open
    /// only when a call reaches it, so without a probe an open endpoint would never be retried).
    /// </summary>
    public bool CanAcceptRequest()
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
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Description})";
}
