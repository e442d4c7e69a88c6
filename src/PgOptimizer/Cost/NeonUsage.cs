namespace PgOptimizer.Cost;

/// <summary>Where a usage history came from.</summary>
public enum NeonUsageSource
{
    /// <summary><c>/consumption_history/v2/projects</c>: the metrics Neon bills.</summary>
    BillingMetrics,

    /// <summary><c>/consumption_history/projects</c>: CPU and active time, written data, synthetic storage (older plans).</summary>
    Legacy,
}

/// <summary>One timeframe of a project's usage, in the units Neon bills.</summary>
/// <param name="Start">Start of the timeframe.</param>
/// <param name="End">End of the timeframe.</param>
/// <param name="Plan">The plan billed in the timeframe's period, when known.</param>
/// <param name="PeriodStart">Start of the billing period it belongs to.</param>
/// <param name="ComputeUnitSeconds">CU-seconds billed (for legacy history: CPU seconds, a lower bound).</param>
/// <param name="StorageByteMonths">Root and child branch storage, byte-months.</param>
/// <param name="InstantRestoreByteMonths">Restore-window history, byte-months.</param>
/// <param name="PublicTransferBytes">Public egress, bytes.</param>
/// <param name="ExtraBranchMonths">Branches beyond the plan's included count, branch-months.</param>
/// <param name="CpuSeconds">CPU seconds used (legacy history only).</param>
public sealed record NeonUsagePoint(
    DateTimeOffset Start,
    DateTimeOffset End,
    string? Plan,
    DateTimeOffset PeriodStart,
    double ComputeUnitSeconds,
    double StorageByteMonths,
    double InstantRestoreByteMonths,
    double PublicTransferBytes,
    double ExtraBranchMonths,
    double? CpuSeconds);

/// <summary>A project's usage history.</summary>
/// <param name="Source">Which endpoint answered.</param>
/// <param name="Points">Timeframes, oldest first.</param>
public sealed record NeonUsageHistory(NeonUsageSource Source, IReadOnlyList<NeonUsagePoint> Points);
