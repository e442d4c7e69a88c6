using System.Runtime.InteropServices;
using System.Text;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>
/// The garbage collector a load test's process runs with. The runtime reads its settings once, at
/// start-up, and the generation-0 size only from the environment; so <c>pgopt loadtest</c> restarts
/// itself in place (<c>execve</c>: the same process id, arguments and standard streams) with them
/// before anything else runs. An open loop gets the workstation collector with an 8 MB generation 0:
/// collections four times as frequent and a quarter as long as the server collector's with a warm
/// cache, so a pause, which stops the generator's thread with every other, stays shorter than the
/// requests it measures (docs/benchmarks.md, "Fewer live objects per cached value, and the
/// collector's budget"). A closed loop, where nothing waits on a schedule, keeps the server
/// collector's throughput. Settings the user gave in the environment always win.
/// </summary>
internal static class LoadTestCollector
{
    /// <summary>The environment of the latency setting.</summary>
    internal static readonly IReadOnlyList<KeyValuePair<string, string>> LatencySettings =
    [
        new("DOTNET_gcServer", "0"),
        new("DOTNET_GCgen0size", "0x800000"),
    ];

    internal const string Modes = "auto, latency or default";

    /// <summary>
    /// The variables to restart with, or null to run as started: not a load test, asked for
    /// help, the default collector chosen (or an unknown mode, which the command itself rejects),
    /// a closed loop under <c>auto</c>, or the collector already set in the environment.
    /// </summary>
    internal static IReadOnlyList<KeyValuePair<string, string>>? RestartSettings(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        if (args.Count == 0 || args[0] != "loadtest" || args.Any(a => a is "-h" or "--help" or "-?"))
        {
            return null;
        }

        var mode = OptionValue(args, "--gc") ?? "auto";
        var latency = mode switch
        {
            "latency" => true,
            "auto" => args.Any(a => a == "--rps" || a.StartsWith("--rps=", StringComparison.Ordinal)),
            _ => false,
        };
        if (!latency)
        {
            return null;
        }

        string[] userSettings = ["gcServer", "GCgen0size", "gcConcurrent", "GCgen0MaxBudget", "GCHeapCount", "GCDynamicAdaptationMode"];
        return userSettings.Any(s => environment("DOTNET_" + s) is not null || environment("COMPlus_" + s) is not null) ? null : LatencySettings;
    }

    /// <summary>
    /// Restarts this process in place with <see cref="RestartSettings"/> when they apply (Linux;
    /// elsewhere, or when the restart fails, it runs on with the collector it has, which the
    /// report names). Returns only when it did not restart.
    /// </summary>
    internal static void RestartIfNeeded(string[] args)
    {
        if (!OperatingSystem.IsLinux() || RestartSettings(args, Environment.GetEnvironmentVariable) is not { } settings)
        {
            return;
        }

        string[] argv;
        try
        {
            // The exact command line this process was started with (`dotnet pgopt.dll …`, the apphost, a tool shim).
            argv = File.ReadAllText("/proc/self/cmdline", Encoding.UTF8).TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return;
        }

        var path = Environment.ProcessPath;
        if (path is null || argv.Length == 0)
        {
            return;
        }

        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => !settings.Any(s => s.Key == (string)e.Key))
            .Select(e => $"{e.Key}={e.Value}")
            .Concat(settings.Select(s => $"{s.Key}={s.Value}"));
        _ = NativeMethods.execve(path, [.. argv, null], [.. environment, null]);

        // Only reached when execve failed: run on as started.
        Console.Error.WriteLine($"pgopt: could not restart with the load test's collector settings (errno {Marshal.GetLastPInvokeError()}); running with the current ones.");
    }

    /// <summary>The value after <paramref name="name"/> (<c>--gc latency</c> or <c>--gc=latency</c>), or null.</summary>
    private static string? OptionValue(IReadOnlyList<string> args, string name)
    {
        for (var i = 1; i < args.Count; i++)
        {
            if (args[i] == name)
            {
                return i + 1 < args.Count ? args[i + 1] : null;
            }

            if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return args[i][(name.Length + 1)..];
            }
        }

        return null;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int execve(
            [MarshalAs(UnmanagedType.LPUTF8Str)] string path,
            [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] argv,
            [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] envp);
    }
}
