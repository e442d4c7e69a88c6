using PgOptimizer.Hosting;

namespace PgOptimizer.Tests.Hosting;

public sealed class PlannerCostsTests
{
    private const long Gib = 1L << 30;

    private static ServerInfo Server(bool neon = false, string database = "app") =>
        new("app@db:5432/app", "PostgreSQL 15", 150000, database, "app", false, neon, false, null, TimeSpan.FromMilliseconds(1));

    [Fact]
    public void Random_reads_costed_near_sequential_ones_are_ok()
    {
        var check = Doctor.PlannerCosts(new(1.1, 1, 1_000_000, 10, Gib, 4 * Gib), Server());
        Assert.Equal(CheckStatus.Ok, check.Status);
        Assert.Null(check.Fix);
    }

    [Fact]
    public void A_spinning_disks_cost_on_reads_served_from_memory_is_a_warning_with_a_quoted_fix()
    {
        var check = Doctor.PlannerCosts(new(4, 1, 995_000, 5_000, 100 * Gib, 4 * Gib), Server(database: "my\"db"));
        Assert.Equal(CheckStatus.Warning, check.Status);
        Assert.Contains("99.5 % of this database's block reads came from shared buffers", check.Detail, StringComparison.Ordinal);
        Assert.StartsWith("ALTER DATABASE \"my\"\"db\" SET random_page_cost = 1.1;", check.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void With_too_few_reads_to_judge_a_database_that_fits_in_the_cache_is_judged_by_its_size()
    {
        Assert.Equal(CheckStatus.Warning, Doctor.PlannerCosts(new(4, 1, 50, 50, 8L << 20, 4 * Gib), Server()).Status);
        var large = Doctor.PlannerCosts(new(4, 1, 50, 50, 100 * Gib, 4 * Gib), Server());
        Assert.Equal(CheckStatus.Info, large.Status);
        Assert.Contains("too few reads yet", large.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_that_go_to_disk_leave_the_default_alone_except_on_neon()
    {
        var disk = Doctor.PlannerCosts(new(4, 1, 600_000, 400_000, 100 * Gib, 4 * Gib), Server());
        Assert.Equal(CheckStatus.Info, disk.Status);
        Assert.Contains("60.0 % of block reads came from shared buffers", disk.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Warning, Doctor.PlannerCosts(new(4, 1, 600_000, 400_000, 100 * Gib, 4 * Gib), Server(neon: true)).Status);
    }

    [Fact]
    public void The_ratio_to_seq_page_cost_decides_not_the_value_alone()
    {
        Assert.Equal(CheckStatus.Ok, Doctor.PlannerCosts(new(4, 4, 1_000_000, 0, Gib, 4 * Gib), Server()).Status);
        Assert.Equal(CheckStatus.Warning, Doctor.PlannerCosts(new(0.5, 0.1, 1_000_000, 0, Gib, 4 * Gib), Server()).Status);
    }
}

public sealed class ReplicationSlotsCheckTests
{
    [Fact]
    public void No_inactive_slot_is_ok()
    {
        var check = Doctor.ReplicationSlots([]);
        Assert.Equal(CheckStatus.Ok, check.Status);
        Assert.Null(check.Fix);
    }

    [Fact]
    public void Inactive_slots_are_named_with_the_wal_and_snapshot_they_hold_and_a_drop_for_each()
    {
        var check = Doctor.ReplicationSlots(
        [
            new("standby_a", "physical", 3L << 30, 1_250_000),
            new("o'brien_sub", "logical", null, null),
        ]);
        Assert.Equal(CheckStatus.Warning, check.Status);
        Assert.Contains("2 inactive: standby_a (physical) keeps 3.0 GiB of WAL and holds VACUUM back by 1,250,000 transactions; o'brien_sub (logical).", check.Detail, StringComparison.Ordinal);
        Assert.Contains("SELECT pg_drop_replication_slot('standby_a'); SELECT pg_drop_replication_slot('o''brien_sub');", check.Fix, StringComparison.Ordinal);
    }
}
