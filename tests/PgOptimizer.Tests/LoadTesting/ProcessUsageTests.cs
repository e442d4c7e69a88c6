using System.Diagnostics;
using PgOptimizer.LoadTesting;

namespace PgOptimizer.Tests.LoadTesting;

public sealed class ProcessUsageTests
{
    [Fact]
    public void Cpu_time_agrees_with_the_process_figure_and_a_blocked_thread_counts_its_switches()
    {
        Assert.True(OperatingSystem.IsLinux(), "the load test's client figures are read on Linux");
        using var self = Process.GetCurrentProcess();
        var before = ProcessUsage.Read()!.Value;
        var ticksBefore = self.TotalProcessorTime;

        // work until the process's own figure (10 ms ticks) has grown by 50 ms: this reading grows
        // by as much, give or take a tick
        var x = 0UL;
        TimeSpan grown;
        do
        {
            for (var i = 0; i < 100_000; i++)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }

            self.Refresh();
            grown = self.TotalProcessorTime - ticksBefore;
        }
        while (grown < TimeSpan.FromMilliseconds(50));

        var cpu = ProcessUsage.Read()!.Value.CpuSeconds - before.CpuSeconds;
        Assert.True(cpu >= grown.TotalSeconds - 0.011, $"{cpu} s of CPU against the process's {grown.TotalSeconds} s");

        // a thread that waits 20 times is switched out at least 20 times
        using var signal = new SemaphoreSlim(0);
        var waiter = new Thread(() =>
        {
            for (var i = 0; i < 20; i++)
            {
                signal.Wait();
            }
        });
        waiter.Start();
        for (var i = 0; i < 20; i++)
        {
            Thread.Sleep(1);
            signal.Release();
        }

        waiter.Join();
        var after = ProcessUsage.Read()!.Value;
        Assert.NotEqual(0UL, x);
        Assert.True(after.ContextSwitches - before.ContextSwitches >= 20, $"{after.ContextSwitches - before.ContextSwitches} switches");
    }
}
