using System.Diagnostics;
using Npgsql;

namespace PgOptimizer.Tests.Infrastructure;

/// <summary>
/// The real local servers started by scripts/services.sh (scripts/test.sh starts them). Settings come
/// from the environment or from the state folder's env file. Missing servers fail the tests loudly.
/// </summary>
public static class TestServices
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Env = new(Load);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string PrimaryConnection => Get("PGOPT_CONNECTION");

    public static string ReplicaConnection => Replicas[0];

    /// <summary>Every local replica (scripts/services.sh starts two).</summary>
    public static IReadOnlyList<string> Replicas => Get("PGOPT_REPLICA_CONNECTIONS").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string RedisUrl => Get("REDIS_URL");

    public static IReadOnlyDictionary<string, string> All => Env.Value;

    /// <summary>The primary connection pointed at another database.</summary>
    public static string PrimaryFor(string database) => WithDatabase(PrimaryConnection, database);

    public static string ReplicaFor(string database) => WithDatabase(ReplicaConnection, database);

    /// <summary>Replica number <paramref name="index"/> (0-based) pointed at another database.</summary>
    public static string ReplicaFor(string database, int index) => WithDatabase(Replicas[index], database);

    private static string WithDatabase(string uri, string database)
    {
        var b = PgOptimizer.Connections.ConnectionStringParser.Parse(uri);
        b.Database = database;
        return b.ConnectionString;
    }

    private static string Get(string name) =>
        Env.Value.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v)
            ? v
            : throw new InvalidOperationException($"{name} is not set: start the local services with scripts/services.sh up (scripts/test.sh does it), or export {name}.");

    private static IReadOnlyDictionary<string, string> Load()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.Combine(RepoRoot, ".state", "env");
        if (File.Exists(file))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var m = System.Text.RegularExpressions.Regex.Match(line, @"^export (?<k>[A-Z_]+)='(?<v>[^']*)'");
                if (m.Success)
                {
                    result[m.Groups["k"].Value] = m.Groups["v"].Value;
                }
            }
        }

        foreach (var name in new[] { "PGOPT_CONNECTION", "PGOPT_REPLICA_CONNECTIONS", "REDIS_URL" })
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } v)
            {
                result[name] = v;
            }
        }

        return result;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "services.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (scripts/services.sh) above the test binaries.");
    }

    /// <summary>Runs scripts/services.sh with arguments; throws when it fails.</summary>
    public static async Task ServicesAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepoRoot, "scripts", "services.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}");
        }
    }

    /// <summary>
    /// A Redis client of the test's own, connected: the URL's settings do not abort on a failed first
    /// connect, so on a machine busy with every test class the multiplexer can come back before its
    /// connection is up, and a subscription made then fails.
    /// </summary>
    public static async Task<StackExchange.Redis.ConnectionMultiplexer> ConnectRedisAsync()
    {
        var multiplexer = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(PgOptimizer.Connections.RedisOptions.ParseUrl(RedisUrl, TimeSpan.FromSeconds(5)));
        await WaitUntilAsync(() => Task.FromResult(multiplexer.IsConnected), TimeSpan.FromSeconds(30), "the test's Redis connection");
        return multiplexer;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for: {what}");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>A fresh database on the local primary for one test class, dropped afterwards.</summary>
public sealed class TempDatabase : IAsyncLifetime
{
    public string Name { get; } = "pgopt_test_" + Guid.NewGuid().ToString("N")[..12];

    public string Connection => TestServices.PrimaryFor(Name);

    public string ReplicaConnection => TestServices.ReplicaFor(Name);

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using var admin = NpgsqlDataSource.Create(TestServices.PrimaryFor("postgres"));
        await using (var cmd = admin.CreateCommand($"CREATE DATABASE \"{Name}\""))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        DataSource = NpgsqlDataSource.Create(Connection);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(TestServices.PrimaryFor("postgres"));
        await using var cmd = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task ExecAsync(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}

/// <summary>Tests that stop and start servers run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutageCollection
{
    public const string Name = "outages";
}

/// <summary>
/// Tests that compare the throughput of runs made one after another run alone, after the parallel
/// ones: a test running beside one phase and not the other takes the two cores from it alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementCollection
{
    public const string Name = "measurements";
}

/// <summary>A fresh database (optionally prepared) with a connection manager on it, for one test.</summary>
public sealed class ManagedDatabase(Func<TempDatabase, Task>? setup = null, Action<PgOptimizer.Connections.ConnectionOptions>? configure = null) : IAsyncLifetime
{
    public TempDatabase Db { get; } = new();

    public PgOptimizer.Connections.PgConnectionManager Connections { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        if (setup is not null)
        {
            await setup(Db);
        }

        var options = new PgOptimizer.Connections.ConnectionOptions { ConnectionString = Db.Connection };
        configure?.Invoke(options);
        Connections = new PgOptimizer.Connections.PgConnectionManager(Microsoft.Extensions.Options.Options.Create(options));
    }

    public async Task DisposeAsync()
    {
        await Connections.DisposeAsync();
        await Db.DisposeAsync();
    }
}
