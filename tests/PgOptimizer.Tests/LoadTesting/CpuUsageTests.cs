using PgOptimizer.LoadTesting;

namespace PgOptimizer.Tests.LoadTesting;

public sealed class CpuUsageTests
{
    [Fact]
    public void Other_processes_are_the_machine_less_the_client_the_database_and_redis()
    {
        // 1 000 requests: client 0.05 s, PostgreSQL 0.10 s, Redis 0.01 s, machine 0.20 s
        var cpu = new CpuUsage(10, 1000, 0.05, 0.10, 0.01, 0.20, 2);

        Assert.Equal(40, cpu.OtherMicrosPerRequest!.Value, 6);
    }

    [Fact]
    public void Other_processes_are_unknown_without_the_machine_or_the_servers_and_never_negative()
    {
        Assert.Null(new CpuUsage(10, 1000, 0.05, null, 0.01, 0.20, 2).OtherMicrosPerRequest); // servers elsewhere
        Assert.Null(new CpuUsage(10, 1000, 0.05, 0.10, null, null, 2).OtherMicrosPerRequest);
        Assert.Equal(0, new CpuUsage(10, 1000, 0.05, 0.10, null, 0.14, 2).OtherMicrosPerRequest); // read at slightly different instants
        Assert.Equal(50, new CpuUsage(10, 1000, 0.05, 0.10, null, 0.20, 2).OtherMicrosPerRequest!.Value, 6); // no Redis
    }
}
