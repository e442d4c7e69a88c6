using System.Globalization;
using System.Text.Json;

namespace PgOptimizer.Cost;

/// <summary>What the analyses read from Neon's API, at one moment.</summary>
internal sealed record NeonSnapshot(
    NeonProject Project,
    IReadOnlyList<NeonBranch> Branches,
    IReadOnlyList<NeonEndpoint> Endpoints,
    NeonUsageHistory Usage,
    IReadOnlyList<NeonUsagePoint>? CpuHourly,
    DateTimeOffset Now);

/// <summary>The month's cost and budget of a project, priced.</summary>
internal sealed record PricedUsage(string Plan, NeonPricePlan Prices, CostBreakdown Monthly, BudgetAnalysis Budget, double ElapsedHours, DateTimeOffset AsOf);

/// <summary>
/// The analyses of Neon's own figures (no SQL): pricing and forecast, compute, branches and the
/// restore window. Pure functions of a <see cref="NeonSnapshot"/>, so every figure can be worked out
/// by hand (docs/cost.md does so for the local double's project).
/// </summary>
internal static class NeonCostAnalyzer
{
    private const int RateDays = 7;

    public static PricedUsage Price(NeonSnapshot s, CostOptions options, NeonPriceTable table)
    {
        var points = s.Usage.Points;
        var asOf = points.Count > 0 ? Min(points.Max(p => p.End), s.Now) : s.Now;
        var periodStart = s.Project.ConsumptionPeriodStart ?? new DateTimeOffset(asOf.Year, asOf.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var periodEnd = s.Project.ConsumptionPeriodEnd ?? periodStart.AddMonths(1);
        var planName = options.Plan ?? points.LastOrDefault(p => p.Plan is not null)?.Plan
            ?? throw new PgOptimizerConfigurationException("The consumption history names no plan: pass --plan launch or --plan scale.");
        if (!table.Has(planName))
        {
            throw new PgOptimizerConfigurationException($"The plan '{planName}' has no prices in the price table ({string.Join(", ", table.Plans.Select(p => p.Name).Distinct())}); pass --plan with one of those, or add it to the prices file.");
        }

        var plan = NeonPriceTable.Normalize(planName);
        var prices = table.For(plan, DateOnly.FromDateTime(asOf.UtcDateTime));

        // Month to date: the period's timeframes, egress beyond the included allowance.
        var inPeriod = points.Where(p => p.Start >= periodStart && p.End <= asOf).ToList();
        var mtd = Breakdown(inPeriod, prices, includedEgressLeft: prices.IncludedEgressGb).Total;

        // The rate: the last whole days' cost per hour, egress apart (it is billed only beyond the
        // period's allowance, so it is forecast as a volume).
        var lastDay = new DateTimeOffset(asOf.UtcDateTime.Date, TimeSpan.Zero);
        var recentDays = points
            .Where(p => p.End <= lastDay && p.Start >= lastDay.AddDays(-RateDays))
            .GroupBy(p => p.Start.UtcDateTime.Date)
            .Select(g => (Day: g.Key, Hours: g.Sum(p => (p.End - p.Start).TotalHours), Points: g.ToList()))
            .Where(d => d.Hours >= 23.99)
            .OrderBy(d => d.Day)
            .ToList();
        var recent = recentDays.SelectMany(d => d.Points).ToList();
        if (recent.Count == 0)
        {
            recent = points.Where(p => p.End <= asOf).TakeLast(24 * RateDays).ToList();
        }

        var recentHours = Math.Max(recent.Sum(p => (p.End - p.Start).TotalHours), 1);
        var r = Breakdown(recent, prices, includedEgressLeft: decimal.MaxValue);
        var toMonth = (decimal)(CostDefaults.HoursPerMonth / recentHours);
        var egressGbPerHour = (decimal)recent.Sum(p => p.PublicTransferBytes) / prices.BytesPerGb / (decimal)recentHours;
        var monthly = new CostBreakdown(
            Round(r.Compute * toMonth),
            Round(r.Storage * toMonth),
            Round(r.InstantRestore * toMonth),
            Round(Math.Max(0, (egressGbPerHour * (decimal)CostDefaults.HoursPerMonth) - prices.IncludedEgressGb) * prices.EgressGb),
            Round(r.ExtraBranches * toMonth));

        var remaining = (decimal)Math.Max((periodEnd - asOf).TotalHours, 0);
        var egressUsedGb = (decimal)inPeriod.Sum(p => p.PublicTransferBytes) / prices.BytesPerGb;
        var egressAhead = (Math.Max(0, egressUsedGb + (egressGbPerHour * remaining) - prices.IncludedEgressGb) - Math.Max(0, egressUsedGb - prices.IncludedEgressGb)) * prices.EgressGb;
        decimal Rate(CostBreakdown b, double hours) => (b.Total - b.Egress) / (decimal)hours;
        var hourly = Rate(r, recentHours);
        var dailyRates = recentDays.Select(d => Rate(Breakdown(d.Points, prices, decimal.MaxValue), d.Hours)).DefaultIfEmpty(hourly).ToList();
        var forecast = Round(mtd + (hourly * remaining) + egressAhead);
        var low = Round(mtd + (dailyRates.Min() * remaining) + egressAhead);
        var high = Round(mtd + (dailyRates.Max() * remaining) + egressAhead);

        double? share = options.MonthlyBudget is { } b ? (double)(forecast / b) : null;
        var status = share switch
        {
            >= 1.0 => HealthLevel.Critical,
            { } x when x >= options.BudgetWarningRatio => HealthLevel.Warning,
            _ => HealthLevel.Healthy,
        };
        var message = options.MonthlyBudget is { } budget
            ? status switch
            {
                HealthLevel.Critical => $"Forecast ${forecast:N2} is {share:P0} of the ${budget:N2} budget: over budget by ${forecast - budget:N2} at the recent rate.",
                HealthLevel.Warning => $"Forecast ${forecast:N2} is {share:P0} of the ${budget:N2} budget (warning at {options.BudgetWarningRatio:P0}).",
                _ => $"Forecast ${forecast:N2} is {share:P0} of the ${budget:N2} budget.",
            }
            : $"Forecast ${forecast:N2} for the period (${low:N2}-${high:N2}); no budget set (NEON_MONTHLY_BUDGET).";
        var analysis = new BudgetAnalysis(options.MonthlyBudget, periodStart, periodEnd, asOf, Round(mtd), forecast, low, high,
            share is null ? null : Math.Round(share.Value, 4), status, recentDays.Count, message);
        var elapsed = Math.Max((asOf - periodStart).TotalHours, 1);
        return new PricedUsage(plan, prices, monthly, analysis, elapsed, asOf);
    }

    /// <summary>Each compute's period figures: awake hours, CPU hours, the CU-hours they are billed at least.</summary>
    public static List<ComputeUsage> Usage(NeonSnapshot s, PricedUsage priced)
    {
        var toMonth = CostDefaults.HoursPerMonth / priced.ElapsedHours;
        var list = new List<ComputeUsage>();
        foreach (var e in s.Endpoints)
        {
            var b = s.Branches.FirstOrDefault(b => b.Id == e.BranchId);
            if (b is null)
            {
                continue;
            }

            // a branch's figures are its computes'; a read-only compute beside a read-write one is not told apart
            var awake = b.ActiveTimeSeconds / 3600.0;
            var cpu = b.ComputeTimeSeconds / 3600.0;
            var billed = Math.Max(awake * e.AutoscalingLimitMinCu, cpu);
            list.Add(new ComputeUsage(e.Id, b.Name, e.Type, e.CurrentState, e.AutoscalingLimitMinCu, e.AutoscalingLimitMaxCu, e.SuspendTimeoutSeconds,
                Math.Round(awake, 1), Math.Round(cpu, 2), Math.Round(billed, 2), billed <= 0 ? 0 : Math.Round(cpu / billed, 4),
                Round((decimal)(billed * toMonth) * priced.Prices.ComputeUnitHour)));
        }

        return list.OrderByDescending(u => u.MonthlyDollars).ToList();
    }

    public static IEnumerable<CostAction> Compute(NeonSnapshot s, PricedUsage priced, CostOptions options, List<string> notes)
    {
        var p = priced.Prices.ComputeUnitHour;
        var toMonth = CostDefaults.HoursPerMonth / priced.ElapsedHours;
        var writers = s.Endpoints.Where(e => e.Type == "read_write").ToList();
        var branches = s.Branches.ToDictionary(b => b.Id, StringComparer.Ordinal);
        var totalCpu = writers.Select(e => branches.GetValueOrDefault(e.BranchId)?.ComputeTimeSeconds ?? 0).Sum();
        var peakProjectCu = s.CpuHourly is { Count: > 0 } cpu
            ? cpu.Where(h => h.End > h.Start).Max(h => (h.CpuSeconds ?? 0) / (h.End - h.Start).TotalSeconds)
            : (double?)null;
        if (peakProjectCu is null)
        {
            notes.Add("No hourly CPU history (Neon's legacy consumption endpoint is not available on this plan): autoscaling minimums are not right-sized, since the peak they must cover is unknown.");
        }

        foreach (var e in writers)
        {
            if (!branches.TryGetValue(e.BranchId, out var b))
            {
                continue;
            }

            var production = b.Default;
            var activeMonth = Math.Min(CostDefaults.HoursPerMonth, b.ActiveTimeSeconds / 3600.0 * toMonth);
            var cpuMonth = b.ComputeTimeSeconds / 3600.0 * toMonth;
            var min = e.AutoscalingLimitMinCu;
            var activeShare = b.ActiveTimeSeconds / 3600.0 / priced.ElapsedHours;
            var billedHours = activeMonth;
            var path = $"projects/{s.Project.Id}/endpoints/{e.Id}";

            if (!production && (e.SuspendTimeoutSeconds < 0 || activeShare >= 0.95))
            {
                var awake = Math.Min(activeMonth, cpuMonth / min * options.AwakeFactor);
                var saving = Round((decimal)(activeMonth - awake) * (decimal)min * p);
                var evidence = Ev(("endpoint", e.Id), ("branch", b.Name), ("suspendTimeoutSeconds", e.SuspendTimeoutSeconds), ("activeHoursInPeriod", Math.Round(b.ActiveTimeSeconds / 3600.0, 1)),
                    ("periodHours", Math.Round(priced.ElapsedHours, 1)), ("cpuHoursInPeriod", Math.Round(b.ComputeTimeSeconds / 3600.0, 2)), ("minCu", min), ("activeHoursPerMonth", Math.Round(activeMonth, 2)), ("awakeHoursAfter", Math.Round(awake, 2)));
                var calc = $"awake now {activeMonth:F2} h/month ({b.ActiveTimeSeconds / 3600.0:F1} h of {priced.ElapsedHours:F1} h × {toMonth:F4}); after: CPU {cpuMonth:F2} h/month ÷ {min} CU × {options.AwakeFactor} = {awake:F2} h; ({activeMonth:F2} − {awake:F2}) h × {min} CU × ${p}/CU-h = ${saving:F2}";
                if (e.SuspendTimeoutSeconds < 0)
                {
                    billedHours = awake;
                    yield return new CostAction($"scale-to-zero:{e.Id}", CostCategory.Compute, $"Let the '{b.Name}' compute scale to zero", e.Id,
                        $"{e.Id} on the non-default branch '{b.Name}' never suspends (suspend_timeout_seconds -1): awake {activeShare:P0} of the period while its CPU use averages {(b.ActiveTimeSeconds == 0 ? 0 : b.ComputeTimeSeconds / (double)b.ActiveTimeSeconds):F3} CU.",
                        saving, 5, true,
                        new NeonApiCall("PATCH", path, Json(new { endpoint = new { suspend_timeout_seconds = CostDefaults.ScaleToZeroSeconds } })), null,
                        $"PATCH /{path} {Json(new { endpoint = new { suspend_timeout_seconds = e.SuspendTimeoutSeconds } })}", calc, evidence);
                }
                else
                {
                    yield return new CostAction($"kept-awake:{e.Id}", CostCategory.Compute, $"Find what keeps the '{b.Name}' compute awake", e.Id,
                        $"{e.Id} may suspend after {(e.SuspendTimeoutSeconds == 0 ? 300 : e.SuspendTimeoutSeconds)} s idle but was awake {activeShare:P0} of the period: a connection pool, a cron job or a health check keeps it busy. Close idle connections (pool idle lifetime below the suspend timeout) or point checks elsewhere.",
                        saving, 30, false, null,
                        "SELECT pid, usename, application_name, client_addr, state, now() - state_change AS idle_for FROM pg_stat_activity WHERE backend_type = 'client backend' ORDER BY state_change;",
                        null, calc, evidence);
                }
            }

            if (peakProjectCu is not null && totalCpu > 0)
            {
                var share = b.ComputeTimeSeconds / (double)totalCpu;
                var peak = peakProjectCu.Value * share;
                var newMin = CostDefaults.ComputeSizes.First(size => size >= Math.Max(peak, 0.25) - 1e-9);
                if (newMin < min)
                {
                    var saving = Round((decimal)billedHours * (decimal)(min - newMin) * p);
                    yield return new CostAction($"autoscaling-min:{e.Id}", CostCategory.Compute, $"Lower the '{b.Name}' compute's autoscaling minimum from {min} to {newMin} CU", e.Id,
                        $"Its busiest hour averaged {peak:F2} CU (the project's peak hour, {peakProjectCu:F2} CU of CPU, × its {share:P1} share of the CPU) against a minimum of {min} CU: it pays for {min} CU every awake hour. {newMin} CU still covers the peak; autoscaling adds more up to the maximum of {e.AutoscalingLimitMaxCu} CU, which stays.",
                        saving, 5, true,
                        new NeonApiCall("PATCH", path, Json(new { endpoint = new { autoscaling_limit_min_cu = newMin } })), null,
                        $"PATCH /{path} {Json(new { endpoint = new { autoscaling_limit_min_cu = min } })}",
                        $"{billedHours:F2} awake h/month × ({min} − {newMin}) CU × ${p}/CU-h = ${saving:F2}",
                        Ev(("endpoint", e.Id), ("branch", b.Name), ("minCu", min), ("maxCu", e.AutoscalingLimitMaxCu), ("peakCu", Math.Round(peak, 3)), ("cpuShare", Math.Round(share, 4)), ("projectPeakCu", Math.Round(peakProjectCu.Value, 3)), ("newMinCu", newMin), ("awakeHoursPerMonth", Math.Round(billedHours, 2))));
                }

                if (e.AutoscalingLimitMaxCu < peak)
                {
                    notes.Add($"{e.Id} ('{b.Name}') peaked at {peak:F2} CU above its autoscaling maximum of {e.AutoscalingLimitMaxCu} CU: it was throttled; raise the maximum (this costs only while it is used).");
                }
            }

            if (production && e.SuspendTimeoutSeconds < 0)
            {
                notes.Add($"{e.Id} serves the default branch '{b.Name}' and never suspends: kept that way (no cold starts in production).");
            }
        }
    }

    public static IEnumerable<CostAction> Branches(NeonSnapshot s, PricedUsage priced, CostOptions options, List<string> notes)
    {
        var prices = priced.Prices;
        var asOf = priced.AsOf;
        var excess = Math.Max(0, s.Branches.Count - prices.IncludedBranches);
        if (excess > 0)
        {
            notes.Add($"{s.Branches.Count} branches, {excess} beyond the {prices.IncludedBranches} the {priced.Plan} plan includes (${prices.ExtraBranchMonth}/branch-month each).");
        }

        var retention = TimeSpan.FromSeconds(s.Project.HistoryRetentionSeconds);
        foreach (var b in s.Branches.OrderBy(b => b.CreatedAt))
        {
            if (b.Default || b.Protected)
            {
                continue; // never the default or a protected branch
            }

            var endpoints = s.Endpoints.Where(e => e.BranchId == b.Id).ToList();
            var lastActivity = endpoints.Select(e => e.LastActive).Append(b.UpdatedAt).Append(b.LastResetAt).Append(b.CreatedAt).Max() ?? b.CreatedAt;
            var idle = asOf - lastActivity;
            var logical = b.LogicalSize ?? 0;
            var childBytes = (b.LastResetAt ?? b.CreatedAt) < asOf - retention ? logical : Math.Min(logical, b.WrittenDataBytes);
            var storage = Round(childBytes / prices.BytesPerGb * prices.StorageGbMonth);
            var path = $"projects/{s.Project.Id}/branches/{b.Id}";
            var preview = options.PreviewBranchPrefixes.Any(prefix => b.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
            if (idle >= options.StaleBranchAfter)
            {
                var branchCharge = excess > 0 ? prices.ExtraBranchMonth : 0m;
                excess = Math.Max(0, excess - 1);
                var saving = storage + branchCharge;
                yield return new CostAction($"delete-branch:{b.Id}", CostCategory.Branch, $"Delete the stale branch '{b.Name}'", b.Id,
                    $"No activity for {idle.TotalDays:F0} days (last {lastActivity:yyyy-MM-dd}); created {b.CreatedAt:yyyy-MM-dd}, {Gb(logical, prices)} GB logical size{(branchCharge > 0 ? ", one of the branches beyond the plan's included count" : string.Empty)}.",
                    saving, 5, false, new NeonApiCall("DELETE", path, null), null,
                    "none: a deleted branch cannot be restored; create a branch from it first (or a snapshot) to keep its data",
                    $"{Gb(childBytes, prices)} GB of branch storage × ${prices.StorageGbMonth}/GB-month = ${storage:F2}{(branchCharge > 0 ? $", + ${branchCharge:F2} for a branch beyond the included = ${saving:F2}" : string.Empty)}",
                    Ev(("branch", b.Name), ("createdAt", b.CreatedAt), ("lastActivity", lastActivity), ("idleDays", Math.Round(idle.TotalDays, 1)), ("logicalSizeBytes", logical), ("billedBytes", childBytes), ("endpoints", endpoints.Count)));
            }
            else if (preview && b.ExpiresAt is null)
            {
                var expires = Max(b.CreatedAt + options.PreviewBranchLifetime, asOf.AddDays(1));
                var at = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                yield return new CostAction($"expire-branch:{b.Id}", CostCategory.Branch, $"Give the preview branch '{b.Name}' an expiry", b.Id,
                    $"A preview branch without an expiry stays (and is billed) after its pull request closes; Neon deletes it by itself at {at}.",
                    0m, 5, true, new NeonApiCall("PATCH", path, $"{{\"branch\":{{\"expires_at\":\"{at}\"}}}}"), null,
                    $"PATCH /{path} {{\"branch\":{{\"expires_at\":null}}}}",
                    $"nothing this month; later ${storage:F2}/month of storage{(s.Branches.Count > prices.IncludedBranches ? $" + ${prices.ExtraBranchMonth:F2}" : string.Empty)} that a forgotten branch would cost",
                    Ev(("branch", b.Name), ("createdAt", b.CreatedAt), ("expiresAt", at), ("logicalSizeBytes", logical)));
            }
            else if (asOf - (b.LastResetAt ?? b.CreatedAt) >= TimeSpan.FromDays(30) && childBytes >= 1_000_000_000 && b.ParentId is not null)
            {
                yield return new CostAction($"reset-branch:{b.Id}", CostCategory.Branch, $"Reset the branch '{b.Name}' to its parent", b.Id,
                    $"Not reset for {(asOf - (b.LastResetAt ?? b.CreatedAt)).TotalDays:F0} days, it no longer shares its {Gb(logical, prices)} GB with its parent: a reset makes it a fresh copy that shares again (its own changes are lost).",
                    storage, 15, false,
                    new NeonApiCall("POST", $"{path}/restore", Json(new { source_branch_id = b.ParentId })), null,
                    "none after the fact; to keep its state, add \"preserve_under_name\" to the call (the kept branch is billed until deleted)",
                    $"{Gb(childBytes, prices)} GB of branch storage × ${prices.StorageGbMonth}/GB-month = ${storage:F2}",
                    Ev(("branch", b.Name), ("createdAt", b.CreatedAt), ("lastResetAt", b.LastResetAt), ("logicalSizeBytes", logical), ("writtenDataBytes", b.WrittenDataBytes)));
            }
        }
    }

    public static CostAction? RestoreWindow(NeonSnapshot s, PricedUsage priced, CostOptions options)
    {
        var current = TimeSpan.FromSeconds(s.Project.HistoryRetentionSeconds);
        var target = options.RecommendedRestoreWindow;
        var cost = priced.Monthly.InstantRestore;
        if (current <= target || cost <= 0.01m)
        {
            return null;
        }

        var saving = Round(cost * (decimal)(1 - (target.TotalSeconds / current.TotalSeconds)));
        var path = $"projects/{s.Project.Id}";
        return new CostAction("restore-window", CostCategory.Storage, $"Shorten the restore window from {current.TotalDays:F0} to {target.TotalDays:F0} day(s)", s.Project.Id,
            $"The restore window keeps {current.TotalDays:F0} days of history for every branch, ${cost:F2}/month: point-in-time restore further back than a day is rarely used outside production incidents.",
            saving, 5, false,
            new NeonApiCall("PATCH", path, Json(new { project = new { history_retention_seconds = (long)target.TotalSeconds } })), null,
            $"PATCH /{path} {Json(new { project = new { history_retention_seconds = s.Project.HistoryRetentionSeconds } })} (history already dropped does not come back)",
            $"${cost:F2}/month × (1 − {target.TotalSeconds:F0} s ÷ {current.TotalSeconds:F0} s) = ${saving:F2}",
            Ev(("historyRetentionSeconds", s.Project.HistoryRetentionSeconds), ("instantRestorePerMonth", cost)));
    }

    /// <summary>The cost of timeframes by component (egress beyond what is left of the allowance).</summary>
    public static CostBreakdown Breakdown(IEnumerable<NeonUsagePoint> points, NeonPricePlan prices, decimal includedEgressLeft)
    {
        decimal cu = 0, storage = 0, restore = 0, egressGb = 0, branches = 0;
        foreach (var p in points)
        {
            cu += (decimal)p.ComputeUnitSeconds / 3600m;
            storage += (decimal)p.StorageByteMonths / prices.BytesPerGb;
            restore += (decimal)p.InstantRestoreByteMonths / prices.BytesPerGb;
            egressGb += (decimal)p.PublicTransferBytes / prices.BytesPerGb;
            branches += (decimal)p.ExtraBranchMonths;
        }

        var egress = includedEgressLeft == decimal.MaxValue ? egressGb * prices.EgressGb : Math.Max(0, egressGb - includedEgressLeft) * prices.EgressGb;
        return new CostBreakdown(cu * prices.ComputeUnitHour, storage * prices.StorageGbMonth, restore * prices.InstantRestoreGbMonth, egress, branches * prices.ExtraBranchMonth);
    }

    internal static decimal Round(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static string Gb(long bytes, NeonPricePlan prices) => (bytes / prices.BytesPerGb).ToString("F2", CultureInfo.InvariantCulture);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    internal static Dictionary<string, object?> Ev(params (string Key, object? Value)[] items) => items.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
}
