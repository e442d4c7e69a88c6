using System.Runtime.InteropServices;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// This process's CPU time and context switches from <c>getrusage(RUSAGE_SELF)</c>: every thread's,
/// exited ones included, at the kernel's precise accounting (where <c>/proc</c> counts 10 ms ticks).
/// Null off Linux.
/// </summary>
internal static class ProcessUsage
{
    private const int RusageSelf = 0;

    /// <summary>CPU seconds (user + system) and context switches (voluntary + involuntary) so far, or null.</summary>
    public static (double CpuSeconds, long ContextSwitches)? Read()
    {
        if (!OperatingSystem.IsLinux() || NativeMethods.getrusage(RusageSelf, out var u) != 0)
        {
            return null;
        }

        var cpu = u.UserSeconds + (u.UserMicros / 1e6) + u.SystemSeconds + (u.SystemMicros / 1e6);
        return (cpu, u.VoluntarySwitches + u.InvoluntarySwitches);
    }

    /// <summary>struct rusage of 64-bit Linux: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public long MaxRss;
        public long SharedText;
        public long SharedData;
        public long SharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockReads;
        public long BlockWrites;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "getrusage")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int getrusage(int who, out RUsage usage);
    }
}
