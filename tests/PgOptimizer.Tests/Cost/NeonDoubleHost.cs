using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgOptimizer.Cost;
using PgOptimizer.Samples.NeonApi;

namespace PgOptimizer.Tests.Cost;

/// <summary>The Neon API double on a free loopback port.</summary>
public sealed class NeonDoubleHost : IAsyncDisposable
{
    /// <summary>The fixture's day: every figure of the double is a function of it.</summary>
    public static readonly DateTimeOffset Day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    private NeonDoubleHost(WebApplication app, NeonApiDoubleOptions options)
    {
        App = app;
        Options = options;
        BaseUrl = app.Urls.First() + "/api/v2";
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public WebApplication App { get; }

    public NeonApiDoubleOptions Options { get; }

    public string BaseUrl { get; }

    public HttpClient Http { get; }

    public NeonFixture Fixture => App.Services.GetRequiredService<NeonFixture>();

    public IReadOnlyList<RecordedCall> Calls => App.Services.GetRequiredService<System.Collections.Concurrent.ConcurrentQueue<RecordedCall>>().ToArray();

    public static async Task<NeonDoubleHost> StartAsync(Action<NeonApiDoubleOptions>? configure = null)
    {
        var options = new NeonApiDoubleOptions { Now = Day };
        configure?.Invoke(options);
        var app = NeonApiDouble.Create([], options, b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.ClearProviders();
        });
        await app.StartAsync();
        return new NeonDoubleHost(app, options);
    }

    /// <summary>The cost optimizer as an application wires it, pointed at the double, analysing as of the fixture's day (plus <paramref name="hours"/>).</summary>
    public ServiceProvider Services(Action<CostOptions>? configure = null, double hours = 12)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPgCost(o =>
        {
            o.NeonApiUrl = BaseUrl;
            o.NeonApiKey = Options.ApiKey;
            o.ProjectId = NeonFixture.ProjectId;
            o.AsOf = Day.AddHours(hours);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
