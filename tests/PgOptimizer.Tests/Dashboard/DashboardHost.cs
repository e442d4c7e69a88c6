using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgOptimizer.AspNetCore.Dashboard;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
using PgOptimizer.Monitoring;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Dashboard;

/// <summary>An application with the dashboard at /pgopt on a free loopback port, on the real servers, with a workload running through it.</summary>
public sealed class DashboardHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _workload;

    private DashboardHost(WebApplication app)
    {
        App = app;
        BaseUrl = app.Urls.First();
        Connections = app.Services.GetRequiredService<PgConnectionManager>();
        _workload = RunWorkloadAsync(_stop.Token);
    }

    public WebApplication App { get; }

    public string BaseUrl { get; }

    public PgConnectionManager Connections { get; }

    public DashboardHistory History => App.Services.GetRequiredService<DashboardHistory>();

    private long _queries;

    public long Queries => Interlocked.Read(ref _queries);

    public static async Task<DashboardHost> StartAsync(Action<DashboardOptions>? dashboard = null, Action<MonitoringOptions>? monitoring = null, string? application = null, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0", // a free port (UseUrls is configuration too: set after the clear)
            ["PgOptimizer:Connections:ConnectionString"] = TestServices.PrimaryConnection,
            ["PgOptimizer:Redis:Url"] = TestServices.RedisUrl,
            ["PgOptimizer:Redis:ApplicationName"] = application ?? "dashboard-test-" + Guid.NewGuid().ToString("N")[..8],
            ["PgOptimizer:Monitoring:Interval"] = "00:00:01",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Services.AddPgOptimizer(builder.Configuration).AddPgOptimizerTools(builder.Configuration);
        builder.Services.PostConfigure<MonitoringOptions>(o =>
        {
            o.SlowQueryThreshold = TimeSpan.FromMilliseconds(150);
            monitoring?.Invoke(o);
        });
        builder.Services.AddPgOptimizerDashboard(o =>
        {
            o.Step = TimeSpan.FromSeconds(1);
            dashboard?.Invoke(o);
        });
        var app = builder.Build();
        app.MapPgOptimizerDashboard("/pgopt");
        await app.StartAsync();
        return new DashboardHost(app);
    }

    /// <summary>A slow query through the manager (it lands in the slow-query log).</summary>
    public async Task SlowQueryAsync() => await Connections.ScalarAsync(DbIntent.Read, "SELECT pg_sleep(0.3) /* dashboard slow query */");

    private async Task RunWorkloadAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Connections.ScalarAsync(DbIntent.Read, "SELECT count(*) FROM pg_class WHERE relkind = $1", ["r"], cancellationToken: ct);
                Interlocked.Increment(ref _queries);
                await Task.Delay(20, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _workload;
        await App.StopAsync();
        await App.DisposeAsync();
        _stop.Dispose();
    }
}
