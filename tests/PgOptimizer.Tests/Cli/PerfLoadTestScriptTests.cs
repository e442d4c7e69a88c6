using System.Diagnostics;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

/// <summary>scripts/perf-loadtest.sh refuses what it cannot honour before it builds or runs anything.</summary>
public sealed class PerfLoadTestScriptTests
{
    [Theory]
    [InlineData("--seconds 0 -- --raw", "--seconds must be a whole number")]
    [InlineData("--skip x -- --raw", "--skip must be a whole number")]
    [InlineData("--raw", "the load test's arguments go after --")]
    [InlineData("-- --raw --json", "--json is set by this script")]
    [InlineData("-- --progress 5s", "--progress is set by this script")]
    public async Task Bad_arguments_exit_2_with_what_to_do(string args, string message)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(TestServices.RepoRoot, "scripts", "perf-loadtest.sh"), .. args.Split(' ')])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 2, $"exit {p.ExitCode}: {await stdout}{stderr}");
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await stdout);
    }
}
