using PgOptimizer.Cli.Infrastructure;

namespace PgOptimizer.Tests.Cli;

/// <summary>When <c>pgopt loadtest</c> restarts itself with the latency collector (the restart itself: <see cref="LoadTestCliTests"/>).</summary>
public sealed class LoadTestCollectorTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("loadtest --rps 3500 --duration 15s", true)]
    [InlineData("loadtest --rps=3500", true)]
    [InlineData("loadtest --concurrency 64", false)]
    [InlineData("loadtest --gc latency --concurrency 64", true)]
    [InlineData("loadtest --gc=latency", true)]
    [InlineData("loadtest --gc default --rps 3500", false)]
    [InlineData("loadtest --gc auto --rps 3500", true)]
    [InlineData("loadtest --gc fast --rps 3500", false)] // the command rejects it (exit 2), as it started
    [InlineData("loadtest --rps 3500 --help", false)]
    [InlineData("demo --rps 3500", false)]
    [InlineData("", false)]
    public void Restarts_an_open_loop_or_when_asked(string commandLine, bool restarts)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var settings = LoadTestCollector.RestartSettings(args, NoEnvironment);
        Assert.Equal(restarts, settings is not null);
        if (settings is not null)
        {
            Assert.Equal(["DOTNET_gcServer=0", "DOTNET_GCgen0size=0x800000"], settings.Select(s => $"{s.Key}={s.Value}"));
        }
    }

    [Theory]
    [InlineData("DOTNET_gcServer")]
    [InlineData("COMPlus_gcServer")]
    [InlineData("DOTNET_GCgen0size")]
    [InlineData("DOTNET_GCgen0MaxBudget")]
    [InlineData("DOTNET_GCDynamicAdaptationMode")]
    public void The_users_own_collector_settings_are_kept(string variable)
    {
        Assert.Null(LoadTestCollector.RestartSettings(["loadtest", "--rps", "100"], name => name == variable ? "1" : null));
        Assert.NotNull(LoadTestCollector.RestartSettings(["loadtest", "--rps", "100"], name => name == "DOTNET_TieredPGO" ? "0" : null));
    }
}
