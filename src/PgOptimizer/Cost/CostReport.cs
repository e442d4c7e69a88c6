using System.Text.Json.Serialization;

namespace PgOptimizer.Cost;

/// <summary>What a cost action concerns.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CostCategory>))]
public enum CostCategory
{
    /// <summary>Compute: autoscaling limits, scale to zero.</summary>
    Compute,

    /// <summary>Branches: stale, expiring, diverged.</summary>
    Branch,

    /// <summary>Storage: indexes, bloat, the restore window.</summary>
    Storage,

    /// <summary>Queries: the statements that cost the most compute.</summary>
    Query,
}

/// <summary>A Neon API call an action makes (or that undoes it).</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path under the API's base address.</param>
/// <param name="Body">JSON body, if any.</param>
public sealed record NeonApiCall(string Method, string Path, string? Body)
{
    /// <inheritdoc/>
    public override string ToString() => Body is null ? $"{Method} /{Path}" : $"{Method} /{Path} {Body}";
}

/// <summary>
/// One thing to do about cost, with its evidence, the arithmetic of its saving and the exact call
/// or SQL that does it.
/// </summary>
/// <param name="Id">A stable id (kind and subject).</param>
/// <param name="Category">What it concerns.</param>
/// <param name="Title">What to do, in a few words.</param>
/// <param name="Subject">The endpoint, branch, index or table.</param>
/// <param name="Detail">Why, from the evidence.</param>
/// <param name="MonthlySavings">Dollars a month it saves (an estimate where <paramref name="Calculation"/> says so).</param>
/// <param name="EffortMinutes">About how long it takes a person, minutes.</param>
/// <param name="QuickWin">Safe and reversible: <c>pgopt cost quick-wins --apply</c> may make it.</param>
/// <param name="Call">The Neon API call, if it is one.</param>
/// <param name="Sql">The SQL, if it is SQL.</param>
/// <param name="Undo">How to undo it, if it can be undone.</param>
/// <param name="Calculation">The saving's arithmetic.</param>
/// <param name="Evidence">The figures it rests on.</param>
public sealed record CostAction(
    string Id,
    CostCategory Category,
    string Title,
    string Subject,
    string Detail,
    decimal MonthlySavings,
    int EffortMinutes,
    bool QuickWin,
    NeonApiCall? Call,
    string? Sql,
    string? Undo,
    string Calculation,
    IReadOnlyDictionary<string, object?> Evidence)
{
    /// <summary>Dollars saved per hour of work, the action plan's order.</summary>
    public decimal SavingsPerHour => EffortMinutes <= 0 ? MonthlySavings : Math.Round(MonthlySavings * 60m / EffortMinutes, 2);
}

/// <summary>The month's cost by what Neon bills.</summary>
/// <param name="Compute">CU-hours.</param>
/// <param name="Storage">Branch storage.</param>
/// <param name="InstantRestore">Restore-window history.</param>
/// <param name="Egress">Public egress beyond the included.</param>
/// <param name="ExtraBranches">Branches beyond the included.</param>
public sealed record CostBreakdown(decimal Compute, decimal Storage, decimal InstantRestore, decimal Egress, decimal ExtraBranches)
{
    /// <summary>The sum.</summary>
    public decimal Total => Compute + Storage + InstantRestore + Egress + ExtraBranches;
}

/// <summary>The budget against month to date and the forecast to the period's end.</summary>
/// <param name="Budget">The monthly budget, if set.</param>
/// <param name="PeriodStart">Start of the billing period.</param>
/// <param name="PeriodEnd">End of the billing period.</param>
/// <param name="AsOf">The end of the last timeframe Neon has reported.</param>
/// <param name="MonthToDate">Dollars so far in the period.</param>
/// <param name="Forecast">Month to date plus the last days' hourly rate over the rest of the period.</param>
/// <param name="ForecastLow">The same with the cheapest recent day's rate.</param>
/// <param name="ForecastHigh">The same with the dearest recent day's rate.</param>
/// <param name="ShareOfBudget">Forecast / budget.</param>
/// <param name="Status">Healthy, Warning (≥ the warning share) or Critical (≥ 100 %).</param>
/// <param name="DaysInRate">Days the rate is the mean of.</param>
/// <param name="Message">The verdict in a sentence.</param>
public sealed record BudgetAnalysis(
    decimal? Budget,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    DateTimeOffset AsOf,
    decimal MonthToDate,
    decimal Forecast,
    decimal ForecastLow,
    decimal ForecastHigh,
    double? ShareOfBudget,
    HealthLevel Status,
    int DaysInRate,
    string Message);

/// <summary>A statement's share of the compute bill.</summary>
/// <param name="QueryId">pg_stat_statements' id.</param>
/// <param name="Query">Normalized SQL (no values).</param>
/// <param name="Endpoint">Where it ran (primary or a replica).</param>
/// <param name="Calls">Calls.</param>
/// <param name="TotalMs">Execution time, ms.</param>
/// <param name="Share">Its share of all statements' execution time, 0-1.</param>
/// <param name="MonthlyDollars">That share of the month's compute cost.</param>
/// <param name="Verdict">The index advisor's verdict, when it ran.</param>
/// <param name="Advice">What the advisor recommends.</param>
public sealed record QueryCost(long QueryId, string Query, string Endpoint, long Calls, double TotalMs, double Share, decimal MonthlyDollars, string? Verdict, string? Advice);

/// <summary>One compute's use in the billing period against what it is billed for.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Branch">Its branch's name.</param>
/// <param name="Type">read_write or read_only.</param>
/// <param name="State">active, idle (suspended) or init.</param>
/// <param name="MinCu">Autoscaling minimum.</param>
/// <param name="MaxCu">Autoscaling maximum.</param>
/// <param name="SuspendTimeoutSeconds">-1 never, 0 the default (300 s).</param>
/// <param name="AwakeHours">Hours awake in the period so far (the branch's active time).</param>
/// <param name="CpuHours">CPU hours used (the branch's compute time).</param>
/// <param name="BilledCuHours">CU-hours billed, at least: the awake hours at the minimum, or the CPU used if more.</param>
/// <param name="Utilization">CPU used ÷ CU-hours billed.</param>
/// <param name="MonthlyDollars">The billed CU-hours over a month, in dollars.</param>
public sealed record ComputeUsage(string Endpoint, string Branch, string Type, string State, double MinCu, double MaxCu, long SuspendTimeoutSeconds,
    double AwakeHours, double CpuHours, double BilledCuHours, double Utilization, decimal MonthlyDollars);

/// <summary>The report's headline.</summary>
/// <param name="TotalSavingsOpportunity">Dollars a month all actions save.</param>
/// <param name="HighImpactActions">Actions saving at least 5 % of the month's cost (and $10).</param>
/// <param name="EstimatedImplementationTime">The actions' effort, summed.</param>
/// <param name="CurrentMonthlyCost">The recent hourly rate over a month.</param>
/// <param name="OptimizedMonthlyCost">After all actions.</param>
/// <param name="QuickWinSavings">Dollars a month the quick wins alone save.</param>
public sealed record CostSummary(decimal TotalSavingsOpportunity, int HighImpactActions, TimeSpan EstimatedImplementationTime, decimal CurrentMonthlyCost, decimal OptimizedMonthlyCost, decimal QuickWinSavings);

/// <summary>The cost report: the spec's shape (summary, compute, branch, storage and query optimizations, budget, action plan) with the evidence behind each figure.</summary>
public sealed record CostReport
{
    /// <summary>The project (or "plain PostgreSQL").</summary>
    public required string Project { get; init; }

    /// <summary>The project's name.</summary>
    public string? ProjectName { get; init; }

    /// <summary>The plan priced.</summary>
    public required string Plan { get; init; }

    /// <summary>The prices used.</summary>
    public required NeonPricePlan Prices { get; init; }

    /// <summary>Neon's billing metrics, legacy history, or an estimate from PostgreSQL's own figures.</summary>
    public required string UsageSource { get; init; }

    /// <summary>The headline.</summary>
    public required CostSummary Summary { get; init; }

    /// <summary>The month's cost at the recent rate, by what is billed.</summary>
    public required CostBreakdown MonthlyCost { get; init; }

    /// <summary>Each compute's use against what it is billed for.</summary>
    public IReadOnlyList<ComputeUsage> ComputeUsage { get; init; } = [];

    /// <summary>Compute actions.</summary>
    public IReadOnlyList<CostAction> ComputeOptimizations { get; init; } = [];

    /// <summary>Branch actions.</summary>
    public IReadOnlyList<CostAction> BranchOptimizations { get; init; } = [];

    /// <summary>Storage actions.</summary>
    public IReadOnlyList<CostAction> StorageOptimizations { get; init; } = [];

    /// <summary>The statements' shares of compute.</summary>
    public IReadOnlyList<QueryCost> QueryOptimizations { get; init; } = [];

    /// <summary>The budget, when Neon's consumption history was read.</summary>
    public BudgetAnalysis? BudgetAnalysis { get; init; }

    /// <summary>All actions by dollars saved per hour of work.</summary>
    public IReadOnlyList<CostAction> ActionPlan { get; init; } = [];

    /// <summary>What was skipped or estimated, and why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Is this an estimate of what a plain PostgreSQL's workload would cost on Neon.</summary>
    public bool Estimate { get; init; }
}

/// <summary>A quick win made (or that a dry run would make).</summary>
/// <param name="Action">The action.</param>
/// <param name="Applied">Made (false in a dry run).</param>
/// <param name="Error">Why it failed, if it did.</param>
/// <param name="At">When.</param>
public sealed record QuickWinResult(CostAction Action, bool Applied, string? Error, DateTimeOffset At);

/// <summary>The quick wins of a project.</summary>
/// <param name="Project">The project.</param>
/// <param name="DryRun">Nothing changed.</param>
/// <param name="Results">Each action.</param>
/// <param name="MonthlyCostBefore">The month's cost at the recent rate.</param>
/// <param name="MonthlyCostAfter">After the quick wins.</param>
public sealed record QuickWinsReport(string Project, bool DryRun, IReadOnlyList<QuickWinResult> Results, decimal MonthlyCostBefore, decimal MonthlyCostAfter)
{
    /// <summary>Dollars a month saved.</summary>
    public decimal MonthlySavings => MonthlyCostBefore - MonthlyCostAfter;
}
