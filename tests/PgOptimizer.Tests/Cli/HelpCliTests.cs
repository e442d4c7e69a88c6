namespace PgOptimizer.Tests.Cli;

/// <summary>Every command's help renders (descriptions are console markup: a stray bracket breaks it).</summary>
public sealed class HelpCliTests
{
    public static TheoryData<string> Commands() => new()
    {
        "", "doctor", "seed", "workload run", "workload list", "indexes plan", "indexes apply", "indexes health", "indexes advise",
        "indexes catalog", "deploy", "loadtest", "replicas", "top", "metrics", "health", "slow", "cache stats", "cache invalidate",
        "cache triggers", "demo",
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_renders_for_every_command(string command)
    {
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("--help").ToArray();
        var result = await PgoptProcess.RunAsync(null, args);
        Assert.True(result.ExitCode == 0, $"pgopt {command} --help exited {result.ExitCode}: {result.All}");
        Assert.Contains("USAGE:", result.Stdout);
        Assert.DoesNotContain("error", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }
}
