using PgOptimizer.Indexing;

namespace PgOptimizer.Hosting;

/// <summary>What a deployment did (or, with TestOnly, would do).</summary>
public sealed record DeployReport(bool TestOnly, IReadOnlyList<DeployStep> Steps, IndexPlan? Plan, IndexApplyReport? Apply, IndexHealthReport? Health, TimeSpan Elapsed)
{
    /// <summary>True when no step failed.</summary>
    public bool Succeeded => Steps.All(s => s.Status != CheckStatus.Error);
}
