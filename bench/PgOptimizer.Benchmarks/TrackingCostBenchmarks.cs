using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Monitoring;

namespace PgOptimizer.Benchmarks;

/// <summary>
/// The CPU cost per command of client-side tracking, without the database's noise. The activity
/// path: an activity started, tagged and stopped the way Npgsql does for every command (source
/// "Npgsql", the tags it sets), with no listener (tracking off: Npgsql then creates no activity) and
/// with QueryTracker listening in NpgsqlActivities mode. The connection manager's path: what the
/// manager and Npgsql's command filter do around one command (track the connection, note the
/// command's start, untrack and record), with tracking off and on.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
public class TrackingCostBenchmarks
{
    private const string Sql = "SELECT v FROM kv WHERE id = $1";
    private static readonly ActivitySource Npgsql = new("Npgsql", "0.2.0");
    private PgConnectionManager _manager = null!;
    private QueryTracker? _tracker;
    private QueryTracker _recorder = null!;
    private string _dataSource = null!;
    private Npgsql.NpgsqlConnection _connection = null!;
    private Npgsql.NpgsqlCommand _command = null!;

    [Params(false, true)]
    public bool Tracking { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // no database needed: the manager only names its data sources here
        _manager = new PgConnectionManager(Options.Create(new ConnectionOptions { ConnectionString = "Host=127.0.0.1;Port=1;Username=u;Database=d" }));
        _dataSource = _manager.Primary.DataSourceName;
        _recorder = new QueryTracker(_manager, Options.Create(new MonitoringOptions { TrackQueries = false }));
        if (Tracking)
        {
            _tracker = new QueryTracker(_manager, Options.Create(new MonitoringOptions { TrackingMode = QueryTrackingMode.NpgsqlActivities }));
            _manager.CommandObserver = _tracker; // both paths measured with the same tracker
        }

        _connection = new Npgsql.NpgsqlConnection();
        _command = new Npgsql.NpgsqlCommand(Sql, _connection);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _command.DisposeAsync();
        await _connection.DisposeAsync();
        _tracker?.Dispose();
        _recorder.Dispose();
        await _manager.DisposeAsync();
    }

    /// <summary>What Npgsql does around one command when tracing is wanted.</summary>
    [Benchmark(Baseline = true)]
    public void NpgsqlCommandActivity()
    {
        var activity = Npgsql.StartActivity("postgresql", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.query.text", Sql);
            activity.SetTag("db.system.name", "postgresql");
            activity.SetTag("db.namespace", "pgopt_bench");
            activity.SetTag("server.address", "127.0.0.1");
            activity.SetTag("server.port", 55432);
            activity.SetTag("db.npgsql.data_source", _dataSource);
            activity.SetTag("db.npgsql.connection_id", 4242);
        }

        activity?.Dispose();
    }

    /// <summary>The connection manager's path around one command.</summary>
    [Benchmark]
    public void ConnectionManagerTiming()
    {
        var timer = _manager.Primary.Commands;
        var clock = timer.Track(_connection);
        timer.OnCommandStart(_command);
        if (clock is not null)
        {
            timer.Untrack(_connection, clock, null);
        }
    }

    /// <summary>QueryTracker.Record alone: normalization cache, statement and endpoint histograms.</summary>
    [Benchmark]
    public void RecordOnly() => _recorder.Record(Sql, "primary", 1200, 1, null);
}
