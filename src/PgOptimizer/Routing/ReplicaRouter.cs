using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Routing;

/// <summary>
/// Read-replica routing. For each read: the replicas whose circuit accepts requests → within the lag
/// limits (with hysteresis) → at or past the read's minimum WAL position (read-your-writes) → of the
/// read's query type (replicas designated for analytics, search or reporting first) → not the one
/// the previous attempt failed on → the strategy's choice, whose breaker probe is claimed only then.
/// When no replica qualifies the read goes to the primary, counted and logged once per change.
/// </summary>
public sealed partial class ReplicaRouter : IReaderSelector, IReplicaRotationSource
{
    [ThreadStatic]
    private static List<PgEndpoint>? t_candidates;

    private readonly RoutingOptions _options;
    private readonly ILogger _logger;
    private readonly ILoadBalancer _default;
    private readonly ILoadBalancer[] _byStrategy;
    private readonly object _gate = new();
    private Dictionary<PgEndpoint, EndpointState> _states = new(ReferenceEqualityComparer.Instance);
    private long _fallbacks;
    private long _sessionFallbacks;
    private string? _fallbackReason;

    /// <summary>Creates the router with the configured strategy and lag limits.</summary>
    public ReplicaRouter(IOptions<RoutingOptions> options, ILogger<ReplicaRouter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = new RoutingOptionsValidator().ThrowIfInvalid(options.Value, "Routing");
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _byStrategy =
        [
            new RoundRobinBalancer(),
            new WeightedRoundRobinBalancer(),
            new LeastConnectionsBalancer(),
            new GeographicBalancer(_options.Region, [.. _options.RegionPreference]),
            new LatencyBalancer(),
            new AdaptiveBalancer(_options.LagPenaltyMsPerSecond),
        ];
        _default = _byStrategy[(int)_options.Strategy];
    }

    /// <summary>Reads sent to the primary because no replica qualified (not counting Consistent reads).</summary>
    public long PrimaryFallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>Of <see cref="PrimaryFallbacks"/>, reads whose session's writes no replica had replayed yet.</summary>
    public long SessionFallbacks => Interlocked.Read(ref _sessionFallbacks);

    /// <summary>Parses a strategy name: round-robin, weighted-round-robin, least-connections, geographic, latency, adaptive (or the enum's name).</summary>
    /// <exception cref="PgOptimizerConfigurationException">Not a strategy.</exception>
    public static LoadBalancingStrategy ParseStrategy(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
        if (key.Equals("latency", StringComparison.OrdinalIgnoreCase))
        {
            return LoadBalancingStrategy.LatencyBased;
        }

        return Enum.TryParse<LoadBalancingStrategy>(key, ignoreCase: true, out var s) && Enum.IsDefined(s)
            ? s
            : throw new PgOptimizerConfigurationException($"'{name}' is not a load-balancing strategy; use round-robin, weighted-round-robin, least-connections, geographic, latency or adaptive.");
    }

    /// <inheritdoc />
    public PgEndpoint SelectReader(in ReadRequest request)
    {
        var replicas = request.Replicas;
        if (request.QueryType == QueryType.Consistent || replicas.Count == 0)
        {
            return Count(request.Primary);
        }

        var candidates = t_candidates ??= new List<PgEndpoint>(8);
        candidates.Clear();
        var designated = request.QueryType is QueryType.Analytics or QueryType.Search or QueryType.Reporting;
        var behind = Collect(request, candidates, designatedOnly: designated);
        if (candidates.Count == 0 && designated)
        {
            behind |= Collect(request, candidates, designatedOnly: false);
        }

        if (request.LastFailed is { } failed && candidates.Count > 1)
        {
            candidates.Remove(failed); // a retry goes elsewhere
        }

        var balancer = request.Strategy is null ? _default : _byStrategy[(int)ParseStrategy(request.Strategy)];
        if (balancer is GeographicBalancer { Home: null } geo)
        {
            geo.Home = request.Primary.Region;
        }

        var now = Stopwatch.GetTimestamp();
        while (candidates.Count > 0)
        {
            var i = candidates.Count == 1 ? 0 : balancer.Choose(candidates, now);
            var chosen = candidates[i];
            if (chosen.TryClaimProbe())
            {
                if (Volatile.Read(ref _fallbackReason) is not null)
                {
                    Recovered();
                }

                return Count(chosen);
            }

            candidates.RemoveAt(i); // another caller took its one probe
        }

        Interlocked.Increment(ref _fallbacks);
        if (behind)
        {
            Interlocked.Increment(ref _sessionFallbacks); // expected after a write: not worth a log line
        }
        else
        {
            FellBack("no replica is in rotation (all lagging, unreachable or with open circuits)");
        }

        return Count(request.Primary);
    }

    /// <summary>Every endpoint of <paramref name="connections"/> as routing sees it now, primary first.</summary>
    public IReadOnlyList<ReplicaStatistics> GetReplicaStatistics(PgConnectionManager connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        return GetReplicaStatistics(connections.Endpoints);
    }

    /// <summary>The given endpoints as routing sees them now.</summary>
    public IReadOnlyList<ReplicaStatistics> GetReplicaStatistics(IEnumerable<PgEndpoint> endpointsToReport)
    {
        ArgumentNullException.ThrowIfNull(endpointsToReport);
        var endpoints = endpointsToReport.ToList();
        var states = endpoints.Select(StateOf).ToList();
        var total = Math.Max(1, states.Sum(s => Interlocked.Read(ref s.Reads)));
        return endpoints.Zip(states).Select(p =>
        {
            var (e, s) = p;
            Evaluate(s);
            var reads = Interlocked.Read(ref s.Reads);
            var p99 = e.AttemptLatency.Count == 0 ? (double?)null : e.AttemptLatency.Summarize().P99Ms;
            return new ReplicaStatistics(e.Name, e.Role, e.Role == EndpointRole.Primary ? ReplicaState.InRotation : StateName(e, s), e.Weight, e.Region,
                reads, Math.Round((double)reads / total, 4), e.Errors, e.BusyConnections, e.LatencyEwmaMs is { } ms ? Math.Round(ms, 3) : null, p99,
                e.Lag?.Seconds, e.Lag?.Bytes, e.Lag?.Error);
        }).ToList();
    }

    /// <inheritdoc />
    public ReplicaRotation? GetRotation()
    {
        var replicas = Volatile.Read(ref _states).Values.Where(s => s.Endpoint.Role == EndpointRole.Replica).ToList();
        if (replicas.Count == 0)
        {
            return null;
        }

        var outOf = new List<string>();
        foreach (var s in replicas)
        {
            Evaluate(s);
            if (StateName(s.Endpoint, s) != ReplicaState.InRotation)
            {
                outOf.Add(s.Endpoint.Name);
            }
        }

        return new ReplicaRotation(replicas.Count, replicas.Count - outOf.Count, outOf);
    }

    /// <summary>Adds the replicas that qualify; returns true when one was left out only for not having replayed the read's floor.</summary>
    private bool Collect(in ReadRequest request, List<PgEndpoint> into, bool designatedOnly)
    {
        var behind = false;
        foreach (var e in request.Replicas)
        {
            var s = StateOf(e);
            Evaluate(s);
            if (s.Lagging || s.Unreachable || !e.AcceptsRequests || !Serves(e, request.QueryType, designatedOnly))
            {
                continue;
            }

            if (!e.HasReplayed(request.MinWalPosition))
            {
                behind = true;
                continue;
            }

            into.Add(e);
        }

        return behind;
    }

    private static bool Serves(PgEndpoint e, QueryType type, bool designatedOnly) =>
        designatedOnly ? e.QueryTypes.Contains(type) : e.QueryTypes.Count == 0 || e.QueryTypes.Contains(type);

    /// <summary>Applies a new lag reading to the replica's rotation, with hysteresis.</summary>
    private void Evaluate(EndpointState s)
    {
        var reading = s.Endpoint.Lag;
        if (ReferenceEquals(reading, s.Evaluated) || s.Endpoint.Role == EndpointRole.Primary)
        {
            return;
        }

        lock (s)
        {
            if (ReferenceEquals(reading, s.Evaluated))
            {
                return;
            }

            s.Evaluated = reading;
            var unreachable = reading?.Error is not null;
            if (unreachable != s.Unreachable)
            {
                s.Unreachable = unreachable;
                LogReachability(_logger, s.Endpoint.Name, unreachable ? "unreachable by the lag probe: out of rotation" : "reachable again", reading?.Error ?? "-");
            }

            if (reading?.Seconds is not { } seconds)
            {
                return;
            }

            var bytes = reading.Bytes ?? 0;
            var maxSeconds = _options.MaxLag.TotalSeconds;
            if (!s.Lagging && (seconds > maxSeconds || bytes > _options.MaxLagBytes))
            {
                s.Lagging = true;
                LogLag(_logger, s.Endpoint.Name, "out of rotation", seconds, bytes);
            }
            else if (s.Lagging && seconds <= maxSeconds * (1 - _options.LagHysteresis) && bytes <= _options.MaxLagBytes * (1 - _options.LagHysteresis))
            {
                s.Lagging = false;
                LogLag(_logger, s.Endpoint.Name, "back in rotation", seconds, bytes);
            }
        }
    }

    private static ReplicaState StateName(PgEndpoint e, EndpointState s) => e.CircuitState switch
    {
        Polly.CircuitBreaker.CircuitState.Open or Polly.CircuitBreaker.CircuitState.Isolated => ReplicaState.CircuitOpen,
        Polly.CircuitBreaker.CircuitState.HalfOpen => ReplicaState.Probing,
        _ => s.Unreachable ? ReplicaState.Unreachable : s.Lagging ? ReplicaState.Lagging : ReplicaState.InRotation,
    };

    private PgEndpoint Count(PgEndpoint e)
    {
        Interlocked.Increment(ref StateOf(e).Reads);
        return e;
    }

    private EndpointState StateOf(PgEndpoint e)
    {
        if (Volatile.Read(ref _states).TryGetValue(e, out var s))
        {
            return s;
        }

        lock (_gate)
        {
            if (_states.TryGetValue(e, out s))
            {
                return s;
            }

            // copy on write: readers never lock
            var next = new Dictionary<PgEndpoint, EndpointState>(_states, ReferenceEqualityComparer.Instance) { [e] = s = new EndpointState(e) };
            Volatile.Write(ref _states, next);
            return s;
        }
    }

    private void FellBack(string reason)
    {
        if (Interlocked.Exchange(ref _fallbackReason, reason) != reason)
        {
            LogFallback(_logger, reason);
        }
    }

    private void Recovered()
    {
        if (Interlocked.Exchange(ref _fallbackReason, null) is not null)
        {
            LogRecovered(_logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reads fall back to the primary: {Reason}")]
    private static partial void LogFallback(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reads are back on replicas")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} {Change}: {Seconds:0.###} s and {Bytes} bytes behind")]
    private static partial void LogLag(ILogger logger, string replica, string change, double seconds, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} {Change} ({Reason})")]
    private static partial void LogReachability(ILogger logger, string replica, string change, string reason);

    private sealed class EndpointState(PgEndpoint endpoint)
    {
        public readonly PgEndpoint Endpoint = endpoint;
        public long Reads;
        public bool Lagging;
        public bool Unreachable;
        public ReplicaLagReading? Evaluated;
    }
}
