namespace PgOptimizer.Tests.Cli;

/// <summary>pgopt dashboard refuses to listen beyond this machine without a token, and bad addresses.</summary>
public sealed class DashboardCliTests
{
    [Theory]
    [InlineData("0.0.0.0", "--token")]
    [InlineData("192.0.2.10", "--token")]
    [InlineData("not-an-address", "not an IP address")]
    public async Task Listening_beyond_loopback_needs_a_token_and_a_real_address(string bind, string says)
    {
        var r = await PgoptProcess.RunAsync(new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = Infrastructure.TestServices.PrimaryConnection }, "dashboard", "--bind", bind, "--port", "5999");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(says, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_port_exits_2()
    {
        var r = await PgoptProcess.RunAsync(null, "dashboard", "--port", "70000");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--port", r.Stderr, StringComparison.Ordinal);
    }
}
