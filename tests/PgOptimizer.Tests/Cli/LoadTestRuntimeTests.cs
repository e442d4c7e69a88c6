using PgOptimizer.Cli.Infrastructure;

namespace PgOptimizer.Tests.Cli;

/// <summary>When <c>pgopt loadtest</c> restarts itself with latency tuning, and with what (the restart itself: <see cref="LoadTestCliTests"/>).</summary>
public sealed class LoadTestRuntimeTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private static string[] Restart(string commandLine, Func<string, string?>? environment = null, int cores = 2) =>
        LoadTestRuntime.RestartSettings(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), environment ?? NoEnvironment, cores)?.Select(s => $"{s.Key}={s.Value}").ToArray() ?? [];

    [Theory]
    [InlineData("loadtest --rps 3500 --duration 15s", true)]
    [InlineData("loadtest --rps=3500", true)]
    [InlineData("loadtest --concurrency 64", false)]
    [InlineData("loadtest --latency-tuning on --concurrency 64", true)]
    [InlineData("loadtest --latency-tuning=on", true)]
    [InlineData("loadtest --latency-tuning off --rps 3500", false)]
    [InlineData("loadtest --latency-tuning auto --rps 3500", true)]
    [InlineData("loadtest --latency-tuning fast --rps 3500", false)] // the command rejects it (exit 2), as it started
    [InlineData("loadtest --rps 3500 --help", false)]
    [InlineData("demo --rps 3500", false)]
    [InlineData("", false)]
    public void Restarts_an_open_loop_or_when_asked(string commandLine, bool restarts)
    {
        var settings = Restart(commandLine);
        Assert.Equal(restarts ? ["DOTNET_gcServer=0", "DOTNET_GCgen0size=0x400000", "DOTNET_ThreadPool_ForceMinWorkerThreads=0x8", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"] : [], settings);
    }

    [Fact]
    public void The_least_workers_are_four_per_core_written_as_the_runtime_reads_them()
    {
        Assert.Contains("DOTNET_ThreadPool_ForceMinWorkerThreads=0x40", Restart("loadtest --rps 100", cores: 16)); // 64, hexadecimal
        Assert.Contains("DOTNET_ThreadPool_ForceMinWorkerThreads=0x4", Restart("loadtest --rps 100", cores: 1));
    }

    [Theory]
    [InlineData("DOTNET_gcServer")]
    [InlineData("COMPlus_gcServer")]
    [InlineData("DOTNET_GCgen0size")]
    [InlineData("DOTNET_GCgen0MaxBudget")]
    [InlineData("DOTNET_GCDynamicAdaptationMode")]
    public void The_users_own_collector_settings_are_kept(string variable)
    {
        Assert.Equal(["DOTNET_ThreadPool_ForceMinWorkerThreads=0x8", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"], Restart("loadtest --rps 100", name => name == variable ? "1" : null));
    }

    [Fact]
    public void The_users_own_thread_pool_settings_are_kept_and_with_everything_given_there_is_no_restart()
    {
        Assert.Equal(["DOTNET_gcServer=0", "DOTNET_GCgen0size=0x400000"], Restart("loadtest --rps 100", name => name == "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit" ? "70" : null));
        Assert.Empty(Restart("loadtest --rps 100", name => name is "DOTNET_gcServer" or "DOTNET_ThreadPool_ForceMinWorkerThreads" ? "1" : null));
        Assert.Equal(4, Restart("loadtest --rps 100", name => name == "DOTNET_TieredPGO" ? "0" : null).Length);
    }
}
