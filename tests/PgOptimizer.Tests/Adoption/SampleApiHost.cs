using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PgOptimizer.Samples.Api;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Adoption;

/// <summary>The sample API on a free port, configured only by the settings given (the process environment is ignored).</summary>
public sealed class SampleApiHost : IAsyncDisposable
{
    private SampleApiHost(WebApplication app, TimeSpan startup)
    {
        App = app;
        Startup = startup;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    /// <summary>How long <c>StartAsync</c> took: until Kestrel listens.</summary>
    public TimeSpan Startup { get; }

    public HttpClient Http { get; }

    public static async Task<SampleApiHost> StartAsync(IDictionary<string, string?> settings, string? applicationName = null)
    {
        string[] args = applicationName is null ? [] : ["--applicationName", applicationName];
        var app = PitchApi.Create(args, b =>
        {
            b.Configuration.Sources.Clear();
            b.Configuration.AddInMemoryCollection(settings);
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.ClearProviders();
        });
        var sw = Stopwatch.StartNew();
        await app.StartAsync();
        return new SampleApiHost(app, sw.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>A database with the demo data at a tiny scale, for the sample API.</summary>
public sealed class DemoDatabase : IAsyncLifetime
{
    public TempDatabase Db { get; } = new();

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        await PitchesDemo.SeedAsync(Db.DataSource, new SeedOptions { Scale = 0.002, Seed = 11 });
        // The seed's backends report their row counts when they end, not at once (PostgreSQL flushes
        // statistics of a busy backend at most every second, of an idle one after 10 s): end them, so
        // that a load test's write check later counts only its own rows.
        Db.DataSource.Clear();
    }

    public Task DisposeAsync() => Db.DisposeAsync();

    public Dictionary<string, string?> Settings(string? redisUrl = null) => new()
    {
        ["PgOptimizer:Connections:ConnectionString"] = Db.Connection,
        ["PgOptimizer:Redis:Url"] = redisUrl ?? TestServices.RedisUrl,
        ["PgOptimizer:Monitoring:Interval"] = "00:00:00.250",
        ["PgOptimizer:Connections:HealthProbeInterval"] = "00:00:00.200",
        ["PgOptimizer:Connections:HealthProbeTimeout"] = "00:00:01",
    };

    /// <summary>A pitch that exists.</summary>
    public Task<long> PitchIdAsync() => Db.ScalarAsync<long>("SELECT min(id) FROM pitches");
}
