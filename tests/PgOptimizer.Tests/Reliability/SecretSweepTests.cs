using PgOptimizer.Connections;
using PgOptimizer.Tests.Cli;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Reliability;

/// <summary>
/// Every command run with a known database password, Redis password and Neon API key in its inputs,
/// succeeding and failing, with logs on: none of them appears in stdout, stderr or the metrics.
/// </summary>
public sealed class SecretSweepTests
{
    private const string RedisSecret = "RedisPw-7f3k9q";
    private const string ApiKey = "napi_sweep5ecret8x2";
    private const string WrongPassword = "Wr0ngPw-k2m4";

    private static readonly string[][] Commands =
    [
        ["doctor", "-v"],
        ["health", "--interval", "1s", "-v"],
        ["metrics", "-v"],
        ["metrics", "--format", "json"],
        ["slow", "-v"],
        ["cache", "stats", "-v"],
        ["cache", "invalidate", "--tag", "sweep:1", "-v"],
        ["replicas", "--json"],
        ["top", "--interval", "1s", "--count", "3"],
        ["indexes", "health", "--json"],
        ["indexes", "plan", "--catalog", "demo"],
        ["workload", "list"],
        ["loadtest", "--duration", "2s", "--warmup", "1s", "--concurrency", "2", "-v"],
        ["deploy", "--catalog", "demo", "--test-only", "--json"],
    ];

    [Fact]
    public async Task No_command_shows_a_password_or_key_whether_it_succeeds_or_fails()
    {
        var password = ConnectionStringParser.Parse(TestServices.PrimaryConnection).Password!;
        var secrets = new[] { password, RedisSecret, ApiKey, WrongPassword };
        var redisHostPort = TestServices.RedisUrl["redis://".Length..].Split('/')[0];
        var good = new Dictionary<string, string?>
        {
            ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection,
            ["PGOPT_REPLICA_CONNECTIONS"] = string.Join(' ', TestServices.Replicas),
            ["REDIS_URL"] = $"redis://default:{RedisSecret}@{redisHostPort}/0", // a password this Redis does not take
            ["NEON_API_KEY"] = ApiKey,
        };
        var bad = new Dictionary<string, string?>(good)
        {
            ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection.Replace(password, WrongPassword, StringComparison.Ordinal),
            ["PGOPT_REPLICA_CONNECTIONS"] = null,
        };
        var runs = 0;
        await using var neon = await Cost.NeonDoubleHost.StartAsync(o => o.ApiKey = ApiKey);
        string[][] cost =
        [
            ["cost", "budget", "--project", PgOptimizer.Samples.NeonApi.NeonFixture.ProjectId, "--neon-api-url", neon.BaseUrl, "--budget", "300", "-v"],
            ["cost", "quick-wins", "--project", PgOptimizer.Samples.NeonApi.NeonFixture.ProjectId, "--neon-api-url", neon.BaseUrl, "--json", "-v"],
        ];
        foreach (var env in new[] { good, bad })
        {
            foreach (var args in Commands.Concat(cost))
            {
                var r = await PgoptProcess.RunAsync(env, args);
                runs++;
                foreach (var secret in secrets)
                {
                    Assert.False(r.All.Contains(secret, StringComparison.Ordinal), $"'{string.Join(' ', args)}' (exit {r.ExitCode}) shows a secret:\n{r.All}");
                }
            }
        }

        Assert.Equal(2 * (Commands.Length + cost.Length), runs);
        Assert.Contains(neon.Calls, c => c.Status == 200); // the key was used, and accepted
    }
}
