using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>
/// The runtime settings a load test's process runs with. An open loop measures latency from each
/// request's intended start, so whatever stops or delays the client's threads is in its tail; it
/// gets (latency tuning):
/// <list type="bullet">
/// <item>the workstation collector with a 4 MB generation 0: collections far more frequent and
/// far shorter than the server collector's with a warm cache (which lets 30–40 MB be allocated per
/// heap between them), so a pause, which stops the generator's thread with every other, stays
/// short (the runtime makes a budget of up to 6 MB of it, its least); asking for 4 MB rather than
/// 8 MB took the longest pause from 18–22 to 14–17 ms at the same CPU;</item>
/// <item>at least four thread-pool workers per core, whose idle workers park at once instead of
/// spinning: a request handed over by the generator waits less for a thread behind the
/// continuations of those in flight, and on a small machine shared with the database the spinning
/// took CPU from both.</item>
/// </list>
/// The runtime reads these once, at start-up, from the environment, so <c>pgopt loadtest</c>
/// restarts itself in place (<c>execve</c>: the same process id, arguments and standard streams)
/// with them before anything else runs (removing its diagnostic port first, so that the
/// restarted runtime can open it again for <c>dotnet-trace</c> and the like). A closed loop, where nothing waits on a schedule, keeps
/// the server collector's throughput and the pool's defaults. Settings the user gave in the
/// environment always win (docs/benchmarks.md, "The open loop's runtime, chosen by the load test").
/// </summary>
internal static class LoadTestRuntime
{
    internal const string Modes = "auto, on or off";

    private static readonly string[] CollectorVariables = ["gcServer", "GCgen0size", "gcConcurrent", "GCgen0MaxBudget", "GCHeapCount", "GCDynamicAdaptationMode"];
    private static readonly string[] ThreadPoolVariables = ["ThreadPool_ForceMinWorkerThreads", "ThreadPool_UnfairSemaphoreSpinLimit"];

    /// <summary>
    /// The variables to restart with, or null to run as started: not a load test, asked for help,
    /// tuning off (or an unknown mode, which the command itself rejects), a closed loop under
    /// <c>auto</c>, or every setting already given in the environment.
    /// </summary>
    internal static IReadOnlyList<KeyValuePair<string, string>>? RestartSettings(IReadOnlyList<string> args, Func<string, string?> environment, int processorCount)
    {
        if (args.Count == 0 || args[0] != "loadtest" || args.Any(a => a is "-h" or "--help" or "-?"))
        {
            return null;
        }

        var tune = (OptionValue(args, "--latency-tuning") ?? "auto") switch
        {
            "on" => true,
            "auto" => args.Any(a => a == "--rps" || a.StartsWith("--rps=", StringComparison.Ordinal)),
            _ => false,
        };
        if (!tune)
        {
            return null;
        }

        bool UserSet(string[] group) => group.Any(v => environment("DOTNET_" + v) is not null || environment("COMPlus_" + v) is not null);
        var settings = new List<KeyValuePair<string, string>>();
        if (!UserSet(CollectorVariables))
        {
            settings.Add(new("DOTNET_gcServer", "0"));
            settings.Add(new("DOTNET_GCgen0size", "0x400000"));
        }

        if (!UserSet(ThreadPoolVariables))
        {
            // the runtime reads these as hexadecimal
            settings.Add(new("DOTNET_ThreadPool_ForceMinWorkerThreads", "0x" + (4 * Math.Max(1, processorCount)).ToString("X", CultureInfo.InvariantCulture)));
            settings.Add(new("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0"));
        }

        return settings.Count == 0 ? null : settings;
    }

    /// <summary>
    /// Restarts this process in place with <see cref="RestartSettings"/> when they apply (Linux;
    /// elsewhere, or when the restart fails, it runs on with the settings it has, which the report
    /// names). Returns only when it did not restart.
    /// </summary>
    internal static void RestartIfNeeded(string[] args)
    {
        if (!OperatingSystem.IsLinux() || RestartSettings(args, Environment.GetEnvironmentVariable, Environment.ProcessorCount) is not { } settings)
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
        RemoveDiagnosticPort();
        _ = NativeMethods.execve(path, [.. argv, null], [.. environment, null]);

        // Only reached when execve failed: run on as started.
        Console.Error.WriteLine($"pgopt: could not restart with the load test's latency tuning (errno {Marshal.GetLastPInvokeError()}); running without it.");
    }

    /// <summary>
    /// Removes the socket this runtime listens on for diagnostic tools (<c>dotnet-trace</c>,
    /// <c>dotnet-counters</c>, <c>dotnet-gcdump</c>). Its name holds the process id and start time,
    /// which the restarted runtime shares; left in place, the new runtime cannot bind that name and
    /// the tools, finding the old socket, are refused.
    /// </summary>
    private static void RemoveDiagnosticPort()
    {
        try
        {
            foreach (var socket in DiagnosticPorts(Environment.ProcessId))
            {
                File.Delete(socket);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // the restarted runtime then runs without a diagnostic port, as it would have
        }
    }

    /// <summary>
    /// A process's diagnostic port as the runtime names it: <c>dotnet-diagnostic-{pid}-{start time}-socket</c>
    /// in <c>$TMPDIR</c> (or <c>/tmp</c>).
    /// </summary>
    internal static IEnumerable<string> DiagnosticPorts(int processId) =>
        Directory.EnumerateFiles(
            Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp",
            $"dotnet-diagnostic-{processId.ToString(CultureInfo.InvariantCulture)}-*-socket");

    /// <summary>The value after <paramref name="name"/> (<c>--latency-tuning on</c> or <c>--latency-tuning=on</c>), or null.</summary>
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
