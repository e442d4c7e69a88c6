using System.Diagnostics;

namespace PgOptimizer.Tests.Cli;

/// <summary>Runs the real pgopt binary (built next to the tests) as a separate process.</summary>
public static class PgoptProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => Stdout + Stderr;
    }

    // The CLI's own build output: the test folder's copy would run with the test project's
    // dependency set (which takes some assemblies from the ASP.NET Core shared framework).
    private static readonly Lazy<string> CliDll = new(() =>
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = testDir.Name.Length > 0 ? testDir.Name : testDir.Parent!.Name;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(Infrastructure.TestServices.RepoRoot, "src", "PgOptimizer.Cli", "bin", configuration, tfm, "pgopt.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the CLI first (dotnet build -c {configuration}): {dll} is missing.");
    });

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        using var p = Start(env, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts pgopt and returns at once; the caller reads its streams and waits for it.</summary>
    public static Process Start(IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        var dll = CliDll.Value;
        var psi = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var name in new[] { "PGOPT_CONNECTION", "NEON_DATABASE_URL", "PGOPT_REPLICA_CONNECTIONS", "REDIS_URL", "NEON_API_KEY", "NEON_PROJECT_ID", "NEON_MONTHLY_BUDGET", "NEON_ORG_ID" })
        {
            psi.Environment.Remove(name);
        }

        psi.Environment["COLUMNS"] = "200";
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return p;
    }
}
