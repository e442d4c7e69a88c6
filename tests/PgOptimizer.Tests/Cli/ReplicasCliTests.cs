using System.Text.Json;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cli;

public sealed class ReplicasCliTests
{
    [Fact]
    public async Task Replicas_lists_each_endpoint_with_its_state_and_lag_and_no_password()
    {
        var env = new Dictionary<string, string?>
        {
            ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection,
            ["PGOPT_REPLICA_CONNECTIONS"] = string.Join(' ', TestServices.Replicas),
            ["REDIS_URL"] = TestServices.RedisUrl,
        };
        var r = await PgoptProcess.RunAsync(env, "replicas", "--json");
        Assert.True(r.ExitCode == 0, r.All);
        var endpoints = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("endpoints").EnumerateArray().ToList();
        Assert.Equal(["primary", "replica1", "replica2"], endpoints.Select(e => e.GetProperty("name").GetString()));
        foreach (var replica in endpoints.Skip(1))
        {
            Assert.Equal("inRotation", replica.GetProperty("state").GetString());
            Assert.True(replica.GetProperty("lagSeconds").GetDouble() >= 0);
            Assert.Equal(JsonValueKind.Null, replica.GetProperty("lagError").ValueKind);
        }

        var password = PgOptimizer.Connections.ConnectionStringParser.Parse(TestServices.PrimaryConnection).Password!;
        Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);

        var table = await PgoptProcess.RunAsync(env, "replicas");
        Assert.True(table.ExitCode == 0, table.All);
        Assert.Contains("in rotation", table.Stdout, StringComparison.Ordinal);
    }
}
