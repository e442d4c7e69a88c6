using System.Globalization;

namespace PgOptimizer.Samples.NeonApi;

/// <summary>A branch of the double's project, with the figures its consumption is generated from.</summary>
public sealed class FixtureBranch
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public string? ParentId { get; init; }
    public bool Default { get; init; }
    public bool Protected { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastResetAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Logical size, bytes.</summary>
    public long LogicalSize { get; set; }

    /// <summary>Bytes this branch adds to the bill (its own data; the root's all of it).</summary>
    public long BilledBytes { get; set; }

    /// <summary>WAL written per active hour, bytes.</summary>
    public long WrittenPerHour { get; init; }
}

/// <summary>A compute endpoint of the double's project and its activity pattern.</summary>
public sealed class FixtureEndpoint
{
    public required string Id { get; init; }
    public required string BranchId { get; init; }
    public string Type { get; init; } = "read_write";
    public double MinCu { get; set; }
    public double MaxCu { get; set; }
    public long SuspendTimeoutSeconds { get; set; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string? Host { get; set; }

    /// <summary>CPU it uses (vCPU) in an hour: null when nobody is connected, 0 when a connection is open but idle (it suspends then unless its suspend timeout is -1); the argument is the hour's start.</summary>
    public required Func<DateTimeOffset, double?> Use { get; init; }
}

/// <summary>
/// The double's state: one project ("quiet-river-104857", the pitch platform on Neon) whose every
/// figure is a function of <see cref="Now"/> (midnight UTC), so a report of it gives the same
/// numbers on any day. Its billing period began 19 days before <see cref="Now"/>; the history
/// covers 40 days.
/// </summary>
public sealed class NeonFixture
{
    public const string ProjectId = "quiet-river-104857";
    public const double HoursPerMonth = 730;
    private readonly object _gate = new();

    public NeonFixture(DateTimeOffset now)
    {
        Now = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        PeriodStart = Now.AddDays(-19);
        PeriodEnd = PeriodStart.AddDays(30);
        ProjectCreated = Now.AddDays(-260);
        HistoryRetentionSeconds = 7 * 86400;
        var gb = 1_000_000_000L;
        Branches =
        [
            new FixtureBranch { Id = "br-main-100001", Name = "main", Default = true, CreatedAt = ProjectCreated, LogicalSize = 8 * gb, BilledBytes = 8 * gb, WrittenPerHour = 2 * gb / 24 },
            new FixtureBranch { Id = "br-staging-100002", Name = "staging", ParentId = "br-main-100001", Protected = true, CreatedAt = Now.AddDays(-220), LogicalSize = 8 * gb, BilledBytes = 8 * gb, WrittenPerHour = 50_000_000 },
            new FixtureBranch { Id = "br-dev-alice-100003", Name = "dev/alice", ParentId = "br-main-100001", CreatedAt = Now.AddDays(-45), LastResetAt = Now.AddDays(-10), LogicalSize = 8 * gb, BilledBytes = 8 * gb, WrittenPerHour = 5_000_000 },
            new FixtureBranch { Id = "br-dev-bob-100004", Name = "dev/bob", ParentId = "br-main-100001", CreatedAt = Now.AddDays(-100), LogicalSize = 6 * gb, BilledBytes = 6 * gb, WrittenPerHour = 20_000_000 },
            new FixtureBranch { Id = "br-preview-pr-118-100005", Name = "preview/pr-118", ParentId = "br-main-100001", CreatedAt = Now.AddDays(-60), LogicalSize = 3 * gb, BilledBytes = 3 * gb, WrittenPerHour = 10_000_000 },
            new FixtureBranch { Id = "br-preview-pr-131-100006", Name = "preview/pr-131", ParentId = "br-main-100001", CreatedAt = Now.AddDays(-3), LogicalSize = 8 * gb, BilledBytes = 400_000_000, WrittenPerHour = 100_000_000 },
        ];
        foreach (var b in Branches)
        {
            b.UpdatedAt = b.CreatedAt;
        }

        Branches[4].UpdatedAt = Now.AddDays(-40);
        Endpoints =
        [
            // production: awake around the clock, 0.6 CU at night rising to 1.4 CU at 14:00, on a 4 CU minimum
            new FixtureEndpoint { Id = "ep-main-100001", BranchId = "br-main-100001", MinCu = 4, MaxCu = 8, SuspendTimeoutSeconds = -1, CreatedAt = ProjectCreated, Use = h => 0.6 + 0.8 * Peak(h, 14, 6) },
            // staging: business hours on working days
            new FixtureEndpoint { Id = "ep-staging-100002", BranchId = "br-staging-100002", MinCu = 0.5, MaxCu = 2, SuspendTimeoutSeconds = 300, CreatedAt = Now.AddDays(-220), Use = h => Working(h) && h.Hour is >= 9 and < 17 ? 0.2 : null },
            // a developer's compute that never suspends, used a few hours on working days
            new FixtureEndpoint { Id = "ep-dev-alice-100003", BranchId = "br-dev-alice-100003", MinCu = 0.25, MaxCu = 2, SuspendTimeoutSeconds = -1, CreatedAt = Now.AddDays(-45), Use = h => Working(h) && h.Hour is >= 9 and < 17 ? 0.05 : 0.0 },
            // a developer who stopped two days ago
            new FixtureEndpoint { Id = "ep-dev-bob-100004", BranchId = "br-dev-bob-100004", MinCu = 0.25, MaxCu = 1, SuspendTimeoutSeconds = 300, CreatedAt = Now.AddDays(-100), Use = h => h < Now.AddDays(-2) && Working(h) && h.Hour is >= 10 and < 16 ? 0.1 : null },
            // a preview nobody opened for 40 days
            new FixtureEndpoint { Id = "ep-preview-pr-118-100005", BranchId = "br-preview-pr-118-100005", MinCu = 0.25, MaxCu = 0.25, SuspendTimeoutSeconds = 300, CreatedAt = Now.AddDays(-60), Use = h => h >= Now.AddDays(-60) && h < Now.AddDays(-40) && h.Hour is 19 or 20 ? 0.1 : null },
            // a fresh preview, reviewed two hours a day
            new FixtureEndpoint { Id = "ep-preview-pr-131-100006", BranchId = "br-preview-pr-131-100006", MinCu = 0.25, MaxCu = 1, SuspendTimeoutSeconds = 300, CreatedAt = Now.AddDays(-3), Use = h => h >= Now.AddDays(-3) && h.Hour is 19 or 20 ? 0.1 : null },
        ];
    }

    public DateTimeOffset Now { get; }
    public DateTimeOffset PeriodStart { get; }
    public DateTimeOffset PeriodEnd { get; }
    public DateTimeOffset ProjectCreated { get; }
    public long HistoryRetentionSeconds { get; set; }
    public List<FixtureBranch> Branches { get; }
    public List<FixtureEndpoint> Endpoints { get; }

    /// <summary>The changes made through the API, by time.</summary>
    public List<(DateTimeOffset At, string Change)> Changes { get; } = [];

    public object Gate => _gate;

    /// <summary>Working days are five of every seven, counted back from <see cref="Now"/> (so the pattern does not move with the calendar).</summary>
    public bool Working(DateTimeOffset hour) => (int)Math.Floor((Now - hour).TotalDays) % 7 is not (2 or 3);

    /// <summary>1 at <paramref name="center"/> o'clock, falling to 0 <paramref name="width"/> hours either side.</summary>
    public static double Peak(DateTimeOffset hour, int center, int width) => Math.Max(0, 1 - (Math.Abs(hour.Hour - center) / (double)width));

    /// <summary>One hour of one endpoint: billed CU, CPU used, active.</summary>
    public (double BilledCu, double Cpu, bool Active) Hour(FixtureEndpoint e, DateTimeOffset hour)
    {
        if (hour < e.CreatedAt || Branches.All(b => b.Id != e.BranchId))
        {
            return (0, 0, false);
        }

        // null: nobody connected; 0: connected but idle, which keeps awake only a compute that never suspends
        var use = e.Use(hour);
        return use is null || (use.Value <= 0 && e.SuspendTimeoutSeconds != -1) ? (0, 0, false) : (Math.Max(e.MinCu, use.Value), use.Value, true);
    }

    /// <summary>The hours from <paramref name="from"/> to <paramref name="to"/> (bounded by the history).</summary>
    public IEnumerable<DateTimeOffset> Hours(DateTimeOffset from, DateTimeOffset to)
    {
        var start = Max(from, Now.AddDays(-40));
        start = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, 0, 0, TimeSpan.Zero);
        for (var h = start; h < to && h < Now; h = h.AddHours(1))
        {
            if (h >= from)
            {
                yield return h;
            }
        }
    }

    /// <summary>A timeframe's figures, summed over its hours.</summary>
    public Usage Sum(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<FixtureBranch>? only = null)
    {
        var u = new Usage();
        var branches = only ?? Branches;
        foreach (var h in Hours(from, to))
        {
            foreach (var e in Endpoints.Where(e => branches.Any(b => b.Id == e.BranchId)))
            {
                var (billed, cpu, active) = Hour(e, h);
                if (!active)
                {
                    continue;
                }

                u.CuSeconds += billed * 3600;
                u.CpuSeconds += cpu * 3600;
                u.ActiveSeconds += 3600;
                var branch = Branches.First(b => b.Id == e.BranchId);
                u.Written += branch.WrittenPerHour;
                u.Egress += branch.Default ? 500_000_000 / 24 : 0;
            }

            var existing = branches.Where(b => b.CreatedAt <= h).ToList();
            u.RootByteMonths += existing.Where(b => b.ParentId is null).Sum(b => (double)b.BilledBytes) / HoursPerMonth;
            u.ChildByteMonths += existing.Where(b => b.ParentId is not null).Sum(b => (double)b.BilledBytes) / HoursPerMonth;
            // the restore window holds the last HistoryRetentionSeconds of WAL of the production branch
            u.RestoreByteMonths += Branches[0].WrittenPerHour * 24.0 * (HistoryRetentionSeconds / 86400.0) / HoursPerMonth;
            u.StorageBytes = (long)existing.Sum(b => (double)b.BilledBytes) + (long)(Branches[0].WrittenPerHour * 24.0 * (HistoryRetentionSeconds / 86400.0));
            u.ExtraBranchMonths += Math.Max(0, existing.Count - 10) / HoursPerMonth;
        }

        return u;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Summed figures of a timeframe.</summary>
public sealed class Usage
{
    public double CuSeconds { get; set; }
    public double CpuSeconds { get; set; }
    public double ActiveSeconds { get; set; }
    public double Written { get; set; }
    public double Egress { get; set; }
    public double RootByteMonths { get; set; }
    public double ChildByteMonths { get; set; }
    public double RestoreByteMonths { get; set; }
    public double ExtraBranchMonths { get; set; }
    public long StorageBytes { get; set; }
}
