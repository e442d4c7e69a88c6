using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;

namespace PgOptimizer.Cost;

/// <summary>
/// Neon cost optimization: reads a project's usage, branches and endpoints through Neon's API (and,
/// when it has a connection, the database's own statistics), prices them, forecasts the period
/// against the budget, and turns what it finds into actions with their dollars and the exact API
/// call or SQL — the quick wins (safe and reversible) it can apply itself. Nothing it does wakes a
/// suspended compute: it asks the API for the endpoint's state before any SQL.
/// </summary>
public sealed partial class NeonCostOptimizer
{
    private readonly NeonApiClient _neon;
    private readonly CostOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PgConnectionManager? _connections;
    private readonly IndexManager? _indexes;

    /// <summary>Creates the optimizer; without <paramref name="connections"/> it analyses Neon's figures only.</summary>
    public NeonCostOptimizer(NeonApiClient neon, IOptions<CostOptions> options, ILogger<NeonCostOptimizer>? logger = null, TimeProvider? timeProvider = null, PgConnectionManager? connections = null, IndexManager? indexes = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _neon = neon ?? throw new ArgumentNullException(nameof(neon));
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _connections = connections;
        _indexes = indexes;
    }

    /// <summary>The report of the configured project (<see cref="CostOptions.ProjectId"/>), or of the connected plain PostgreSQL when none is configured.</summary>
    public Task<CostReport> GenerateReportAsync(CancellationToken cancellationToken = default) => GenerateReportAsync(_options.ProjectId, cancellationToken);

    /// <summary>The cost report of a Neon project (the spec's <c>generateCostReport</c>), or of the connected plain PostgreSQL when <paramref name="projectId"/> is null.</summary>
    public async Task<CostReport> GenerateReportAsync(string? projectId, CancellationToken cancellationToken = default)
    {
        var table = _options.PriceTable();
        if (string.IsNullOrWhiteSpace(projectId))
        {
            return await PlainPostgresReportAsync(table, cancellationToken).ConfigureAwait(false);
        }

        var snapshot = await ReadAsync(projectId, cancellationToken).ConfigureAwait(false);
        var priced = NeonCostAnalyzer.Price(snapshot, _options, table);
        var notes = new List<string>();
        if (snapshot.Usage.Source == NeonUsageSource.Legacy)
        {
            notes.Add("The account has no billing-metrics history (/consumption_history/v2): compute is priced from CPU seconds (a lower bound of the CU-seconds billed) and storage from the synthetic storage size.");
        }

        var compute = NeonCostAnalyzer.Compute(snapshot, priced, _options, notes).ToList();
        var branches = NeonCostAnalyzer.Branches(snapshot, priced, _options, notes).ToList();
        var storage = new List<CostAction>();
        if (NeonCostAnalyzer.RestoreWindow(snapshot, priced, _options) is { } window)
        {
            storage.Add(window);
        }

        var queries = new List<QueryCost>();
        if (CanRunSql(snapshot, notes, out var endpoint))
        {
            (var sqlStorage, queries) = await SqlAnalysesAsync(priced.Prices, priced.Monthly.Compute, notes, cancellationToken).ConfigureAwait(false);
            storage.AddRange(sqlStorage);
            if (endpoint is not null && compute.Any(a => a.Subject == endpoint.Id && a.Id.Split(':')[0] is "scale-to-zero" or "kept-awake"))
            {
                try
                {
                    notes.Add(await PostgresCostAnalysis.ConnectionsHoldingAwakeAsync(_connections!.Primary.DataSource, endpoint, cancellationToken).ConfigureAwait(false));
                }
                catch (NpgsqlException ex)
                {
                    notes.Add($"pg_stat_activity could not be read: {ex.Message}");
                }
            }

            if (endpoint is not null && snapshot.Branches.FirstOrDefault(b => b.Id == endpoint.BranchId) is { } branch)
            {
                try
                {
                    if (await PostgresCostAnalysis.WorkingSetAsync(_connections!.Primary.DataSource, cancellationToken).ConfigureAwait(false) is { } ws)
                    {
                        var awake = Math.Min(CostDefaults.HoursPerMonth, branch.ActiveTimeSeconds / 3600.0 * CostDefaults.HoursPerMonth / priced.ElapsedHours);
                        notes.Add(PostgresCostAnalysis.WorkingSetAdvice(ws.WorkingSetBytes, ws.FileCacheBytes, ws.HitRatio, endpoint, awake, priced.Prices));
                    }
                }
                catch (NpgsqlException ex)
                {
                    notes.Add($"The working set could not be read: {ex.Message}");
                }
            }
        }

        return Build(projectId, snapshot.Project.Name, priced.Plan, priced.Prices, snapshot.Usage.Source == NeonUsageSource.BillingMetrics ? "neon billing metrics (/consumption_history/v2/projects)" : "neon legacy consumption history (/consumption_history/projects)",
            priced.Monthly, compute, branches, storage, queries, priced.Budget, notes, estimate: false) with { ComputeUsage = NeonCostAnalyzer.Usage(snapshot, priced) };
    }

    /// <summary>The budget of a project: month to date, forecast to the period's end with a range, and its share of <see cref="CostOptions.MonthlyBudget"/>.</summary>
    public async Task<BudgetAnalysis> GetBudgetAsync(string? projectId = null, CancellationToken cancellationToken = default)
    {
        var id = RequireProject(projectId ?? _options.ProjectId);
        var project = await _neon.GetProjectAsync(id, cancellationToken).ConfigureAwait(false);
        var usage = await UsageAsync(project, cancellationToken).ConfigureAwait(false);
        var snapshot = new NeonSnapshot(project, [], [], usage, null, Now());
        return NeonCostAnalyzer.Price(snapshot, _options, _options.PriceTable()).Budget;
    }

    /// <summary>
    /// The quick wins (the spec's <c>implementQuickWins</c>): the safe, reversible actions — let
    /// development computes scale to zero, lower autoscaling minimums to the observed peak, give
    /// preview branches an expiry. A dry run changes nothing; otherwise each is made through the API
    /// and returned with how to undo it.
    /// </summary>
    public async Task<QuickWinsReport> ImplementQuickWinsAsync(string? projectId = null, bool dryRun = true, CancellationToken cancellationToken = default)
    {
        var id = RequireProject(projectId ?? _options.ProjectId);
        var report = await GenerateReportAsync(id, cancellationToken).ConfigureAwait(false);
        var results = new List<QuickWinResult>();
        foreach (var action in report.ActionPlan.Where(a => a.QuickWin && a.Call is not null))
        {
            if (dryRun)
            {
                results.Add(new QuickWinResult(action, false, null, _time.GetUtcNow()));
                continue;
            }

            try
            {
                await _neon.SendAsync(action.Call!, cancellationToken).ConfigureAwait(false);
                LogApplied(_logger, action.Id, action.Call!.Method, action.Call.Path);
                results.Add(new QuickWinResult(action, true, null, _time.GetUtcNow()));
            }
            catch (NeonApiException ex)
            {
                results.Add(new QuickWinResult(action, false, ex.Message, _time.GetUtcNow()));
            }
        }

        var saved = results.Where(r => dryRun || r.Applied).Sum(r => r.Action.MonthlySavings);
        return new QuickWinsReport(id, dryRun, results, report.Summary.CurrentMonthlyCost, report.Summary.CurrentMonthlyCost - saved);
    }

    /// <summary>
    /// The state Neon's API gives for the compute the connection points at ("active", "idle" for
    /// suspended, "init"), or null when no project is configured or the connection is not one of its
    /// computes. Asking does not wake the compute; the dashboard asks before any query.
    /// </summary>
    public async Task<string?> GetConnectedComputeStateAsync(CancellationToken cancellationToken = default)
    {
        if (_connections is null || string.IsNullOrWhiteSpace(_options.ProjectId) || string.IsNullOrWhiteSpace(_options.NeonApiKey))
        {
            return null;
        }

        var host = (new NpgsqlConnectionStringBuilder(_connections.Primary.DataSource.ConnectionString).Host ?? string.Empty).Split(',')[0].Trim();
        var endpoints = await _neon.ListEndpointsAsync(_options.ProjectId, cancellationToken).ConfigureAwait(false);
        return endpoints.FirstOrDefault(e => SameEndpoint(e.Host, host))?.CurrentState;
    }

    private DateTimeOffset Now() => _options.AsOf ?? _time.GetUtcNow();

    private static string RequireProject(string? projectId) => string.IsNullOrWhiteSpace(projectId)
        ? throw new PgOptimizerConfigurationException("No Neon project: pass --project ID or set NEON_PROJECT_ID (the Neon console shows the id under Settings → General).")
        : projectId.Trim();

    private async Task<NeonSnapshot> ReadAsync(string projectId, CancellationToken ct)
    {
        var project = await _neon.GetProjectAsync(projectId, ct).ConfigureAwait(false);
        var branchesTask = _neon.ListBranchesAsync(projectId, ct);
        var endpointsTask = _neon.ListEndpointsAsync(projectId, ct);
        var usageTask = UsageAsync(project, ct);
        var now = Now();
        var hourEnd = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        var cpuTask = _neon.TryGetCpuHistoryAsync(projectId, hourEnd.AddHours(-168), hourEnd, "hourly", ct);
        await Task.WhenAll(branchesTask, endpointsTask, usageTask, cpuTask).ConfigureAwait(false);
        return new NeonSnapshot(project, await branchesTask.ConfigureAwait(false), await endpointsTask.ConfigureAwait(false),
            await usageTask.ConfigureAwait(false), await cpuTask.ConfigureAwait(false), now);
    }

    private Task<NeonUsageHistory> UsageAsync(NeonProject project, CancellationToken ct)
    {
        var now = Now();
        var tomorrow = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var periodStart = project.ConsumptionPeriodStart ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var from = new DateTimeOffset(periodStart.UtcDateTime.Date, TimeSpan.Zero);
        if (from > tomorrow.AddDays(-9))
        {
            from = tomorrow.AddDays(-9); // the rate needs the last seven whole days
        }

        return _neon.GetUsageAsync(project.Id, from, tomorrow, "daily", ct);
    }

    private bool CanRunSql(NeonSnapshot snapshot, List<string> notes, out NeonEndpoint? endpoint)
    {
        endpoint = null;
        if (_connections is null)
        {
            notes.Add("No database connection: storage (indexes, dead rows) and query costs were not analysed; pass --connection (or PGOPT_CONNECTION / NEON_DATABASE_URL) for them.");
            return false;
        }

        var host = new NpgsqlConnectionStringBuilder(_connections.Primary.DataSource.ConnectionString).Host ?? string.Empty;
        var first = host.Split(',')[0].Trim();
        endpoint = snapshot.Endpoints.FirstOrDefault(e => SameEndpoint(e.Host, first));
        if (endpoint is null)
        {
            notes.Add($"The connection's host ({first}) is none of the project's endpoints: the SQL analyses describe that database.");
            return true;
        }

        if (endpoint.CurrentState != "active")
        {
            notes.Add($"{endpoint.Id} is {(endpoint.CurrentState == "idle" ? "suspended" : endpoint.CurrentState)}: the SQL analyses (indexes, dead rows, query costs) were skipped so as not to wake it (and bill it). Run again while it is active.");
            return false;
        }

        return true;
    }

    /// <summary>ep-x.region.aws.neon.tech and its pooler ep-x-pooler.region.aws.neon.tech are the same compute.</summary>
    internal static bool SameEndpoint(string endpointHost, string connectionHost)
    {
        static string Norm(string h)
        {
            var dot = h.IndexOf('.', StringComparison.Ordinal);
            var label = dot < 0 ? h : h[..dot];
            var rest = dot < 0 ? string.Empty : h[dot..];
            return (label.EndsWith("-pooler", StringComparison.OrdinalIgnoreCase) ? label[..^7] : label) + rest;
        }

        return endpointHost.Length > 0 && string.Equals(Norm(endpointHost), Norm(connectionHost), StringComparison.OrdinalIgnoreCase);
    }

    private async Task<(List<CostAction> Storage, List<QueryCost> Queries)> SqlAnalysesAsync(NeonPricePlan prices, decimal monthlyCompute, List<string> notes, CancellationToken ct)
    {
        var storage = new List<CostAction>();
        var queries = new List<QueryCost>();
        var connections = _connections!;
        if (_indexes is not null)
        {
            try
            {
                storage.AddRange(await PostgresCostAnalysis.StorageAsync(_indexes, connections.Primary.DataSource, prices, ct).ConfigureAwait(false));
            }
            catch (NpgsqlException ex)
            {
                notes.Add($"Storage analysis failed: {ex.Message}");
            }
        }

        try
        {
            queries = await PostgresCostAnalysis.QueriesAsync(connections, monthlyCompute, _options.TopStatements, ct).ConfigureAwait(false);
            if (_options.AdviseIndexes && _indexes is not null && queries.Count > 0)
            {
                try
                {
                    queries = await PostgresCostAnalysis.AdviseAsync(_indexes, queries, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
                {
                    notes.Add($"The index advisor did not run ({ex.Message}): queries are priced without its verdict.");
                }
            }
        }
        catch (PostgresException ex) when (Workload.StatementStatisticsReader.IsUnavailable(ex))
        {
            notes.Add("pg_stat_statements is not available: queries were not priced (CREATE EXTENSION pg_stat_statements; it must be in shared_preload_libraries).");
        }
        catch (NpgsqlException ex)
        {
            notes.Add($"The query analysis failed ({ex.Message}): queries were not priced.");
        }

        return (storage, queries);
    }

    private async Task<CostReport> PlainPostgresReportAsync(NeonPriceTable table, CancellationToken ct)
    {
        if (_connections is null)
        {
            throw new PgOptimizerConfigurationException("Nothing to analyse: pass --project ID (or NEON_PROJECT_ID) for a Neon project, or --connection for what a PostgreSQL's workload would cost on Neon.");
        }

        var plan = NeonPriceTable.Normalize(_options.Plan ?? "launch");
        var prices = table.For(plan, DateOnly.FromDateTime(Now().UtcDateTime));
        var (monthly, basis) = await PostgresCostAnalysis.EstimateAsync(_connections.Primary.DataSource, prices, ct).ConfigureAwait(false);
        var notes = new List<string> { $"Not a Neon project: {basis}." };
        var (storage, queries) = await SqlAnalysesAsync(prices, monthly.Compute, notes, ct).ConfigureAwait(false);
        return Build("plain PostgreSQL", null, plan, prices, "estimate from PostgreSQL's statistics", monthly, [], [], storage, queries, null, notes, estimate: true);
    }

    private static CostReport Build(string project, string? name, string plan, NeonPricePlan prices, string source, CostBreakdown monthly,
        List<CostAction> compute, List<CostAction> branches, List<CostAction> storage, List<QueryCost> queries, BudgetAnalysis? budget, List<string> notes, bool estimate)
    {
        var plan_ = compute.Concat(branches).Concat(storage)
            .OrderByDescending(a => a.SavingsPerHour).ThenByDescending(a => a.MonthlySavings).ThenBy(a => a.Id, StringComparer.Ordinal).ToList();
        var total = plan_.Sum(a => a.MonthlySavings);
        var current = monthly.Total;
        var highImpact = plan_.Count(a => a.MonthlySavings >= Math.Max(10m, current * 0.05m));
        var summary = new CostSummary(total, highImpact, TimeSpan.FromMinutes(plan_.Sum(a => a.EffortMinutes)), current, Math.Max(0, current - total), plan_.Where(a => a.QuickWin).Sum(a => a.MonthlySavings));
        return new CostReport
        {
            Project = project,
            ProjectName = name,
            Plan = plan,
            Prices = prices,
            UsageSource = source,
            Summary = summary,
            MonthlyCost = monthly,
            ComputeOptimizations = compute,
            BranchOptimizations = branches,
            StorageOptimizations = storage,
            QueryOptimizations = queries,
            BudgetAnalysis = budget,
            ActionPlan = plan_,
            Notes = notes,
            Estimate = estimate,
        };
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Applied the quick win {Action}: {Method} /{Path}")]
    private static partial void LogApplied(ILogger logger, string action, string method, string path);
}
