using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.Monitoring;

/// <summary>
/// Client-side query tracking: every command the application runs through Npgsql, timed in the
/// application's own process without code changes. Commands on connections the connection manager
/// hands out are timed by the manager (<see cref="ICommandObserver"/>: Npgsql's command filter
/// marks each start, the next command or the end of the operation its end); other commands of its
/// data sources — and of every data source with <see cref="MonitoringOptions.TrackAllDataSources"/>
/// — through Npgsql's command activities, which cost several times more per command. It keeps,
/// per normalized statement,
/// calls, errors, rows (where Npgsql reports them: COPY, or commands recorded through
/// <see cref="Record"/>; its activities carry no row count for queries, which pg_stat_statements
/// has server-side), total/max time and an HdrHistogram; per endpoint a latency histogram;
/// and slow queries (normalized text only, never parameter values) in a <see cref="SlowQueryLog"/>.
/// Statements of PgOptimizer's own catalog queries are left out.
/// </summary>
public sealed class QueryTracker : ICommandObserver, IDisposable
{
    private const string NpgsqlSource = "Npgsql";
    private const string OtherStatement = "<other statements>";
    private const string TrackedProperty = "pgopt.tracker";

    private readonly MonitoringOptions _options;
    private readonly ConcurrentDictionary<string, StatementStats> _byText = new(StringComparer.Ordinal);
    private readonly IdentityMemo<string, StatementStats> _recent = new();
    private readonly ConcurrentDictionary<string, StatementStats> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EndpointQueryStats> _endpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _dataSources;
    private readonly ActivityListener? _listener;
    private readonly PgConnectionManager? _connections;
    [ThreadStatic]
    private static QueryTracker? t_wantsNextActivity;
    private readonly NpgsqlPoolReader _pools = new();
    private readonly long _slowTicks;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private long _slowCount;

    /// <summary>Creates the tracker; it starts timing commands at once when <see cref="MonitoringOptions.TrackQueries"/> is on.</summary>
    public QueryTracker(PgConnectionManager connections, IOptions<MonitoringOptions> options)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _slowTicks = (long)(_options.SlowQueryThreshold.TotalSeconds * Stopwatch.Frequency);
        SlowQueries = new SlowQueryLog(_options.SlowQueryCapacity);
        _dataSources = connections.Endpoints
            .SelectMany(e => new[] { (e.DataSourceName, e.Name), (e.DirectDataSourceName, e.Name) })
            .DistinctBy(x => x.Item1, StringComparer.Ordinal)
            .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        foreach (var name in _dataSources.Values)
        {
            _endpoints[name] = new EndpointQueryStats(name);
        }

        if (!_options.TrackQueries)
        {
            return;
        }

        if (_options.TrackingMode == QueryTrackingMode.ConnectionManager)
        {
            _connections = connections;
            connections.CommandObserver = this;
        }

        // Npgsql calls its command filter (where the manager's timing starts) only while something
        // listens to its activity source. The listener asks for an activity only for commands the
        // manager cannot time: connections of its data sources opened directly, other data sources
        // with TrackAllDataSources, and every command in NpgsqlActivities mode.
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == NpgsqlSource,
            Sample = Sample,
            ActivityStarted = OnActivityStarted,
            ActivityStopped = OnActivityStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Recent slow queries of this process.</summary>
    public SlowQueryLog SlowQueries { get; }

    /// <summary>Slow queries seen since start.</summary>
    public long SlowQueryCount => Interlocked.Read(ref _slowCount);

    /// <summary>The statements seen so far.</summary>
    internal IEnumerable<StatementStats> Statements => _byId.Values;

    /// <summary>Per-endpoint figures.</summary>
    internal IEnumerable<EndpointQueryStats> Endpoints => _endpoints.Values;

    /// <summary>
    /// Records one command. Called by the Npgsql listener; callable directly for commands that do
    /// not go through Npgsql's tracing (a command wrapper).
    /// </summary>
    public void Record(string sql, string endpoint, long elapsedTicks, long rows, string? errorCode)
    {
        if (sql.StartsWith(PgOptimizerDiagnostics.SqlMarker, StringComparison.Ordinal))
        {
            return; // PgOptimizer's own catalog queries are not the application's workload
        }

        var stats = Resolve(sql);
        var micros = elapsedTicks * 1_000_000 / Stopwatch.Frequency;
        var failed = errorCode is not null;
        stats.Record(micros, rows, failed);
        if (!_endpoints.TryGetValue(endpoint, out var ep))
        {
            ep = _endpoints.GetOrAdd(endpoint, static n => new EndpointQueryStats(n));
        }

        ep.Record(micros, failed);
        PgOptimizerDiagnostics.QueryDuration.Record(micros / 1_000_000.0, new KeyValuePair<string, object?>("endpoint", endpoint));
        if (failed)
        {
            PgOptimizerDiagnostics.QueryErrors.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));
        }

        if (elapsedTicks >= _slowTicks)
        {
            Interlocked.Increment(ref _slowCount);
            PgOptimizerDiagnostics.SlowQueries.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));
            SlowQueries.Add(new SlowQuery(DateTimeOffset.UtcNow, Math.Round(micros / 1000.0, 3), stats.Id, stats.Sql, endpoint, errorCode, _options.InstanceId));
        }
    }

    /// <summary>Totals and histograms of every statement and endpoint, as one serializable snapshot.</summary>
    public ClientSnapshot Snapshot(IEnumerable<PgEndpoint> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        var statements = _byId.Values.Where(s => s.Calls > 0).Select(s => s.Snapshot()).ToList();
        var endpoints = _endpoints.Values.Select(e => e.Snapshot()).ToList();
        var physical = _pools.Read();
        var poolFigures = pools.Select(p => new PoolSnapshot(
            p.Name, p.BusyConnections, physical.TryGetValue(p.DataSourceName, out var c) ? c.Idle : 0, p.PeakBusyConnections, p.MaxPoolSize, p.OperationsStarted, p.CircuitState.ToString(),
            p.ConnectionWait.EncodeSnapshot())).ToList();
        return new ClientSnapshot(_options.InstanceId, DateTimeOffset.UtcNow, 1, statements, endpoints, poolFigures, SlowQueryCount, _started);
    }

    private StatementStats Resolve(string sql)
    {
        if (_recent.TryGet(sql, out var recent))
        {
            return recent;
        }

        if (_byText.TryGetValue(sql, out var known))
        {
            _recent.Set(sql, known);
            return known;
        }

        var normalized = SqlNormalizer.Statement(sql);
        var id = SqlNormalizer.StatementId(normalized);
        if (!_byId.TryGetValue(id, out var stats))
        {
            stats = _byId.Count < _options.MaxTrackedStatements
                ? _byId.GetOrAdd(id, static (i, n) => new StatementStats(i, n), normalized)
                : _byId.GetOrAdd(SqlNormalizer.StatementId(OtherStatement), static (i, n) => new StatementStats(i, n), OtherStatement);
        }

        // raw texts are cached up to a bound: an application that inlines constants would otherwise
        // grow this map without end (those texts are normalized on every call instead)
        if (_byText.Count < _options.MaxTrackedStatements * 16)
        {
            _byText.TryAdd(sql, stats);
        }

        return stats;
    }

    void ICommandObserver.OnCommandCompleted(PgEndpoint endpoint, string sql, long elapsedTicks, string? errorCode) =>
        Record(sql, endpoint.Name, elapsedTicks, 0, errorCode);

    private ActivitySamplingResult Sample(ref ActivityCreationOptions<ActivityContext> options)
    {
        var pending = CommandHandOver.TakeFor(this);
        var wanted = _options.TrackingMode == QueryTrackingMode.NpgsqlActivities
                     || pending == PendingCommand.Untimed
                     || (pending == PendingCommand.None && _options.TrackAllDataSources);
        if (!wanted)
        {
            return ActivitySamplingResult.None; // the manager times it, or it is not ours to time
        }

        t_wantsNextActivity = this; // the activity is created now, and started on this thread
        return ActivitySamplingResult.AllData;
    }

    private void OnActivityStarted(Activity activity)
    {
        if (ReferenceEquals(t_wantsNextActivity, this))
        {
            t_wantsNextActivity = null;
            activity.SetCustomProperty(TrackedProperty, this);
        }
    }

    private void OnActivityStopped(Activity activity)
    {
        if (!ReferenceEquals(activity.GetCustomProperty(TrackedProperty), this))
        {
            return; // created for another listener (OpenTelemetry, say) for a command already timed
        }

        string? sql = null;
        string? dataSource = null;
        string? status = null;
        long rows = 0;
        foreach (ref readonly var tag in activity.EnumerateTagObjects()) // a struct enumerator: no allocation per command
        {
            switch (tag.Key)
            {
                case "db.query.text":
                    sql = tag.Value as string;
                    break;
                case "db.npgsql.data_source":
                    dataSource = tag.Value as string;
                    break;
                case "db.response.status_code":
                    status = tag.Value as string;
                    break;
                case "db.npgsql.rows":
                    rows = tag.Value switch { long l => l, int i => i, ulong u => (long)u, _ => 0 };
                    break;
            }
        }

        if (sql is null)
        {
            return;
        }

        string? endpoint = null;
        if (dataSource is not null && !_dataSources.TryGetValue(dataSource, out endpoint) && !_options.TrackAllDataSources)
        {
            return; // another data source in this process (another connection manager's, say)
        }

        if (activity.Status == ActivityStatusCode.Error && status is null)
        {
            status = "error";
        }

        Record(sql, endpoint ?? "other", activity.Duration.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond, rows, status);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_connections is not null && ReferenceEquals(_connections.CommandObserver, this))
        {
            _connections.CommandObserver = null;
        }

        _listener?.Dispose();
        _pools.Dispose();
    }
}
