using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>
/// The project's local PostgreSQL primary + replica and Redis, started by scripts/services.sh.
/// Found by walking up from the current directory and from the program's own folder.
/// </summary>
public static partial class LocalServices
{
    public static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scripts", "services.sh");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Runs "services.sh up" and returns the environment it prints (PGOPT_CONNECTION, ...).</summary>
    public static async Task<IReadOnlyDictionary<string, string?>> UpAsync(Action<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        var script = FindScript() ?? throw new PgOptimizerConfigurationException(
            "No connection is configured and scripts/services.sh was not found, so no local database can be started. Run pgopt from the PgOptimizer checkout, or pass --connection.");
        var psi = new ProcessStartInfo("bash", [script, "up"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start bash");
        var stderrTask = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                log(line);
            }
        }, ct);
        var stdout = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        await stderrTask.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/services.sh up failed with exit code {process.ExitCode}; see the lines above.");
        }

        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (Match m in ExportLine().Matches(stdout))
        {
            env[m.Groups["name"].Value] = m.Groups["value"].Value;
        }

        if (!env.ContainsKey("PGOPT_CONNECTION"))
        {
            throw new InvalidOperationException("scripts/services.sh up printed no PGOPT_CONNECTION export.");
        }

        return env;
    }

    [GeneratedRegex(@"^export (?<name>[A-Z_]+)='(?<value>[^']*)'\s*$", RegexOptions.Multiline)]
    private static partial Regex ExportLine();
}
