using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Cost;
using PgOptimizer.Diagnostics;
using PgOptimizer.Indexing;
using PgOptimizer.Monitoring;
using PgOptimizer.Workload;

namespace PgOptimizer.AspNetCore.Dashboard;

/// <summary>
/// What the pages show, rendered as HTML fragments (every value encoded). Queries against the
/// database run only when Neon's API does not say the compute is suspended; slow figures (index
/// health, the cost report) are kept for a while.
/// </summary>
public sealed class DashboardData(IServiceProvider services, DatabasePerformanceMonitor monitor, PgConnectionManager connections, IOptions<DashboardOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, string? State) _compute;
    private (DateTimeOffset At, IndexHealthReport? Report, string? Error) _indexes;
    private (DateTimeOffset At, CostReport? Report, string? Error) _cost;
    private (DateTimeOffset At, Task<AdvisorReport>? Running) _advisor;

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    private static string H(string? s) => DashboardEndpoints.H(s);

    private static string N(double v, int decimals = 0) => v.ToString("N" + decimals, CultureInfo.InvariantCulture);

    private static string Level(HealthLevel level) => $"<span class=\"badge {level.ToString().ToLowerInvariant()}\">{level.ToString().ToLowerInvariant()}</span>";

    /// <summary>The fragment of a page.</summary>
    public async Task<string> RenderAsync(string page, HttpContext http, IAntiforgery antiforgery, string prefix, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        var b = new StringBuilder();
        try
        {
            switch (page)
            {
                case "":
                    Overview(b);
                    break;
                case "queries":
                    await QueriesAsync(b, prefix, ct).ConfigureAwait(false);
                    break;
                case "indexes":
                    await IndexesAsync(b, ct).ConfigureAwait(false);
                    break;
                case "cache":
                    await CacheAsync(b, ct).ConfigureAwait(false);
                    break;
                case "replicas":
                    await ReplicasAsync(b, ct).ConfigureAwait(false);
                    break;
                case "cost":
                    await CostAsync(b, ct).ConfigureAwait(false);
                    break;
                case "connections":
                    await ConnectionsAsync(b, http, antiforgery, prefix, ct).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or NeonApiException or InvalidOperationException)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">Could not read this page's figures: {H(ex.Message)}</p>");
        }

        return b.ToString();
    }

    /// <summary>Cancels a backend's running query (an action: only when allowed).</summary>
    public async Task<bool> CancelAsync(int pid, CancellationToken ct)
    {
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT pg_cancel_backend($1)", conn);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = pid });
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>False (and says so) when Neon's API reports the compute suspended: the page then sends no query that would wake it.</summary>
    private async Task<bool> AwakeAsync(StringBuilder b, CancellationToken ct)
    {
        if (services.GetService<NeonCostOptimizer>() is not { } cost)
        {
            return true;
        }

        if (DateTimeOffset.UtcNow - _compute.At > TimeSpan.FromSeconds(30))
        {
            try
            {
                _compute = (DateTimeOffset.UtcNow, await cost.GetConnectedComputeStateAsync(ct).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is NeonApiException or PgOptimizerConfigurationException)
            {
                _compute = (DateTimeOffset.UtcNow, null);
            }
        }

        if (_compute.State is "idle")
        {
            b.Append("<p class=\"note\">The Neon compute is <strong>suspended</strong>: this page sends no query that would wake it (and bill it). It shows figures again once the application wakes it.</p>");
            return false;
        }

        return true;
    }

    private void Overview(StringBuilder b)
    {
        if (monitor.LastHealth is not { } health)
        {
            b.Append("<p class=\"muted\">Waiting for monitoring's first evaluation…</p>");
            return;
        }

        var q = health.Metrics.QueryPerformance;
        b.Append("<div class=\"cards\">");
        Card(b, "Health", Level(health.Overall));
        Card(b, "Queries / s", N(q.WindowSeconds <= 0 ? 0 : q.Calls / q.WindowSeconds, 1));
        Card(b, "p95 / p99", $"{N(q.P95, 1)} / {N(q.P99, 1)} ms");
        Card(b, "Errors", $"{N(q.ErrorRate, 2)} %");
        Card(b, "Cache hit", health.Metrics.CachePerformance.HitRate is { } hit ? $"{N(hit, 1)} %" : "–");
        Card(b, "Connections busy", $"{health.Metrics.ConnectionHealth.ActiveConnections} ({N(health.Metrics.ConnectionHealth.ConnectionUsage, 0)} %)");
        Card(b, "Instances", q.Instances.ToString(CultureInfo.InvariantCulture));
        b.Append("</div>");

        b.Append("<h2>Alerts</h2>");
        var alerts = health.Alerts.OrderByDescending(a => a.State == AlertState.Firing).ThenByDescending(a => a.Severity).ToList();
        if (alerts.Count == 0)
        {
            b.Append("<p>No alert is firing.</p>");
        }
        else
        {
            b.Append("<table><thead><tr><th>Alert</th><th>Severity</th><th>State</th><th class=\"num\">Value</th><th class=\"num\">Threshold</th><th>Subject</th><th>Since</th></tr></thead><tbody>");
            foreach (var a in alerts)
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(a.Name)}</td><td>{Level(a.Severity)}</td><td>{H(a.State.ToString().ToLowerInvariant())}</td><td class=\"num\">{N(a.Value, 2)} {H(a.Unit)}</td><td class=\"num\">{N(a.Threshold, 2)}</td><td>{H(a.Subject)}</td><td>{a.Since:HH:mm:ss}</td></tr>");
            }

            b.Append("</tbody></table>");
        }

        b.Append("<h2>Checks</h2>");
        if (health.Recommendations.Count == 0)
        {
            b.Append("<p>Every check passes.</p>");
        }
        else
        {
            b.Append("<table><thead><tr><th>Severity</th><th>Finding</th><th>Fix</th></tr></thead><tbody>");
            foreach (var r in health.Recommendations)
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td>{Level(r.Severity)}</td><td>{H(r.Message)}</td><td>{H(r.Action)}</td></tr>");
            }

            b.Append("</tbody></table>");
        }

        b.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">Evaluated at {health.At:yyyy-MM-dd HH:mm:ss} UTC.</p>");
    }

    private static void Card(StringBuilder b, string label, string valueHtml) =>
        b.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><div class=\"muted\">{H(label)}</div><div class=\"value\">{valueHtml}</div></div>");

    private async Task QueriesAsync(StringBuilder b, string prefix, CancellationToken ct)
    {
        b.Append("<h2>Slow queries (all instances)</h2>");
        var slow = await monitor.GetSlowQueriesAsync(30, ct).ConfigureAwait(false);
        if (slow.Count == 0)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p>No query slower than the threshold yet.</p>");
        }
        else
        {
            b.Append("<table><thead><tr><th>At</th><th class=\"num\">ms</th><th>Endpoint</th><th>Instance</th><th>Statement</th></tr></thead><tbody>");
            foreach (var s in slow)
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td>{s.At:HH:mm:ss}</td><td class=\"num\">{N(s.DurationMs, 1)}</td><td>{H(s.Endpoint)}</td><td>{H(s.Instance)}</td><td><code>{H(Short(s.Sql, 200))}</code>{(s.Error is null ? string.Empty : $" <span class=\"badge critical\">{H(s.Error)}</span>")}</td></tr>");
            }

            b.Append("</tbody></table>");
        }

        b.Append("<h2>Top statements by total time (pg_stat_statements, primary and replicas)</h2>");
        if (!await AwakeAsync(b, ct).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            var top = await new StatementStatisticsReader(connections).ReadAsync(new StatementSelection { Top = 15 }, ct).ConfigureAwait(false);
            var total = top.Sum(s => s.TotalMs);
            b.Append("<table><thead><tr><th class=\"num\">Total ms</th><th class=\"num\">Share of top</th><th class=\"num\">Calls</th><th class=\"num\">Mean ms</th><th>Statement</th></tr></thead><tbody>");
            foreach (var s in top)
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"num\">{N(s.TotalMs)}</td><td class=\"num\">{(total <= 0 ? 0 : s.TotalMs / total):P1}</td><td class=\"num\">{N(s.Calls)}</td><td class=\"num\">{N(s.MeanMs, 2)}</td><td><a href=\"{prefix}/queries/{s.QueryId}\"><code>{H(Short(s.Query, 220))}</code></a></td></tr>");
            }

            b.Append("</tbody></table>");
        }
        catch (PostgresException ex) when (StatementStatisticsReader.IsUnavailable(ex))
        {
            b.Append("<p class=\"note\">pg_stat_statements is not available: CREATE EXTENSION pg_stat_statements (it must be in shared_preload_libraries).</p>");
        }
    }

    private async Task IndexesAsync(StringBuilder b, CancellationToken ct)
    {
        if (services.GetService<IndexManager>() is not { } indexes)
        {
            b.Append("<p class=\"note\">Index health needs the tools: services.AddPgOptimizerTools(configuration).</p>");
            return;
        }

        if (!await AwakeAsync(b, ct).ConfigureAwait(false))
        {
            return;
        }

        if (DateTimeOffset.UtcNow - _indexes.At > TimeSpan.FromMinutes(1))
        {
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (DateTimeOffset.UtcNow - _indexes.At > TimeSpan.FromMinutes(1))
                {
                    try
                    {
                        _indexes = (DateTimeOffset.UtcNow, await indexes.PerformIndexHealthCheckAsync(ct).ConfigureAwait(false), null);
                    }
                    catch (NpgsqlException ex)
                    {
                        _indexes = (DateTimeOffset.UtcNow, null, ex.Message);
                    }
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        if (_indexes.Report is not { } report)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">Index health could not be read: {H(_indexes.Error)}</p>");
            return;
        }

        b.Append(CultureInfo.InvariantCulture, $"<p>Index health: {Level(report.Status)}{(report.Coverage is { } c ? $" · workload coverage {c.ByTime:P1} of time" : string.Empty)} · statistics since {report.StatsSince:yyyy-MM-dd HH:mm}.</p>");
        var findings = report.Findings.Where(f => f.Level != HealthLevel.Healthy).ToList();
        if (findings.Count == 0)
        {
            b.Append("<p>No index finding.</p>");
        }
        else
        {
            b.Append("<table><thead><tr><th>Kind</th><th>Level</th><th>Table</th><th>Index</th><th>Finding</th><th>Fix</th></tr></thead><tbody>");
            foreach (var f in findings)
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(f.Kind.ToString())}</td><td>{Level(f.Level)}</td><td>{H(f.Table)}</td><td>{H(f.Index)}</td><td>{H(f.Detail)}</td><td><code>{H(f.Fix)}</code></td></tr>");
            }

            b.Append("</tbody></table>");
        }

        b.Append("<h2>Recommended indexes (the workload in pg_stat_statements, costed with HypoPG; nothing is built)</h2>");
        if (_advisor.Running is null || DateTimeOffset.UtcNow - _advisor.At > TimeSpan.FromMinutes(10))
        {
            var stopping = services.GetService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
            _advisor = (DateTimeOffset.UtcNow, Task.Run(() => indexes.AdviseAsync(null, stopping), stopping));
        }

        var advisor = _advisor.Running!;
        if (!advisor.IsCompleted)
        {
            b.Append("<p class=\"muted\">Analysing the workload… (this fragment refreshes by itself)</p>");
        }
        else if (advisor.IsFaulted)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">The advisor did not run: {H(advisor.Exception?.GetBaseException().Message)}</p>");
        }
        else if (advisor.Result.Recommendations.Count == 0)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p>No index would help the workload enough: {advisor.Result.Queries.Count} statements examined.</p>");
        }
        else
        {
            b.Append("<table><thead><tr><th>Index</th><th class=\"num\">Benefit</th><th class=\"num\">Write cost</th><th class=\"num\">Size</th><th class=\"num\">Statements helped</th><th>DDL</th></tr></thead><tbody>");
            foreach (var rec in advisor.Result.Recommendations)
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(rec.Name)}</td><td class=\"num\">{N(rec.Benefit)}</td><td class=\"num\">{N(rec.WriteCost)}</td><td class=\"num\">{N(rec.EstimatedSizeBytes / 1e6, 1)} MB</td><td class=\"num\">{rec.Queries.Count}</td><td><code>{H(rec.Ddl)}</code></td></tr>");
            }

            b.Append("</tbody></table>");
        }

        b.Append("<p class=\"muted\">Build them with <code>pgopt indexes advise --apply</code>; the catalog's plan: <code>pgopt indexes plan</code>.</p>");
    }

    private async Task CacheAsync(StringBuilder b, CancellationToken ct)
    {
        var counters = await DashboardHistory.CacheCountersAsync(options.Value, monitor, services.GetService<ICacheStatisticsSource>(), ct).ConfigureAwait(false);
        if (counters.Count == 0)
        {
            b.Append("<p class=\"note\">No application cache in this process (services.AddPgCaching).</p>");
            return;
        }

        b.Append("<table><thead><tr><th>Strategy</th><th class=\"num\">Memory hits</th><th class=\"num\">Redis hits</th><th class=\"num\">Misses</th><th class=\"num\">Hit rate</th><th class=\"num\">Stale served</th><th class=\"num\">Evictions</th><th class=\"num\">Compression</th><th>Redis tier</th></tr></thead><tbody>");
        foreach (var c in counters.OrderByDescending(c => c.Hits + c.Misses))
        {
            b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(c.Strategy)}</td><td class=\"num\">{N(c.MemoryHits)}</td><td class=\"num\">{N(c.DistributedHits)}</td><td class=\"num\">{N(c.Misses)}</td><td class=\"num\">{(c.HitRatio is { } r ? r.ToString("P1", CultureInfo.InvariantCulture) : "–")}</td><td class=\"num\">{N(c.StaleServed)}</td><td class=\"num\">{N(c.Evictions)}</td><td class=\"num\">{(c.CompressionRatio is { } x ? x.ToString("P0", CultureInfo.InvariantCulture) : "–")}</td><td>{(c.RedisBypassed ? "bypassed (costs more than it saves)" : "in use")}</td></tr>");
        }

        b.Append("</tbody></table>");
    }

    private async Task ReplicasAsync(StringBuilder b, CancellationToken ct)
    {
        var rotation = services.GetService<IReplicaRotationSource>()?.GetRotation();
        var commands = (await monitor.AggregateAsync(options.Value.Step / 2, ct).ConfigureAwait(false)).Endpoints;
        var total = commands.Sum(c => c.Calls);
        b.Append("<table><thead><tr><th>Endpoint</th><th>Role</th><th>Circuit</th><th>In rotation</th><th class=\"num\">Lag s</th><th class=\"num\">Lag bytes</th><th class=\"num\">Latency ms (EWMA)</th><th class=\"num\">Commands (all instances)</th><th class=\"num\">Share</th></tr></thead><tbody>");
        foreach (var e in connections.Endpoints)
        {
            var calls = commands.Where(c => c.Name == e.Name).Sum(c => c.Calls);
            var inRotation = e.Role == EndpointRole.Primary ? "writes" : rotation is null ? "–" : rotation.Out.Contains(e.Name) ? "<span class=\"badge warning\">out</span>" : "yes";
            b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(e.Name)}</td><td>{H(e.Role.ToString().ToLowerInvariant())}</td><td>{H(e.CircuitState.ToString().ToLowerInvariant())}</td><td>{inRotation}</td><td class=\"num\">{(e.Lag?.Seconds is { } s ? N(s, 2) : "–")}</td><td class=\"num\">{(e.Lag?.Bytes is { } by ? N(by) : "–")}</td><td class=\"num\">{(e.LatencyEwmaMs is { } l ? N(l, 2) : "–")}</td><td class=\"num\">{N(calls)}</td><td class=\"num\">{(total == 0 ? "–" : ((double)calls / total).ToString("P1", CultureInfo.InvariantCulture))}</td></tr>");
        }

        b.Append("</tbody></table>");
        if (connections.Replicas.Count == 0)
        {
            b.Append("<p class=\"muted\">No replica configured: every read goes to the primary.</p>");
        }
    }

    private async Task CostAsync(StringBuilder b, CancellationToken ct)
    {
        var cost = services.GetService<NeonCostOptimizer>();
        var costOptions = services.GetService<IOptions<CostOptions>>()?.Value;
        if (cost is null || string.IsNullOrWhiteSpace(costOptions?.ProjectId) || string.IsNullOrWhiteSpace(costOptions.NeonApiKey))
        {
            b.Append("<p class=\"note\">No Neon project configured: set NEON_API_KEY and NEON_PROJECT_ID (or PgOptimizer:Cost) for the cost report, the budget and the quick wins. <code>pgopt cost report</code> also estimates a plain PostgreSQL's cost on Neon.</p>");
            return;
        }

        if (DateTimeOffset.UtcNow - _cost.At > TimeSpan.FromMinutes(10))
        {
            try
            {
                _cost = (DateTimeOffset.UtcNow, await cost.GenerateReportAsync(ct).ConfigureAwait(false), null);
            }
            catch (Exception ex) when (ex is NeonApiException or PgOptimizerConfigurationException or NpgsqlException)
            {
                _cost = (DateTimeOffset.UtcNow, null, ex.Message);
            }
        }

        if (_cost.Report is not { } r)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">The cost report could not be made: {H(_cost.Error)}</p>");
            return;
        }

        b.Append("<div class=\"cards\">");
        Card(b, "Monthly cost", H($"${r.Summary.CurrentMonthlyCost:N2}"));
        Card(b, "Savings found", H($"${r.Summary.TotalSavingsOpportunity:N2}"));
        Card(b, "Quick wins", H($"${r.Summary.QuickWinSavings:N2}"));
        if (r.BudgetAnalysis is { } budget)
        {
            Card(b, "Forecast", $"{H($"${budget.Forecast:N2}")} {Level(budget.Status)}");
        }

        b.Append("</div>");
        if (r.BudgetAnalysis is { } ba)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p>{H(ba.Message)} Month to date {H($"${ba.MonthToDate:N2}")}.</p>");
        }

        b.Append("<h2>Action plan (a dry run: nothing here changes the project)</h2><table><thead><tr><th>Action</th><th class=\"num\">Saves / month</th><th>Quick win</th><th>How</th><th>Arithmetic</th></tr></thead><tbody>");
        foreach (var a in r.ActionPlan)
        {
            b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(a.Title)}</td><td class=\"num\">{H($"${a.MonthlySavings:N2}")}</td><td>{(a.QuickWin ? "yes" : "no")}</td><td><code>{H(a.Call?.ToString() ?? a.Sql)}</code></td><td>{H(a.Calculation)}</td></tr>");
        }

        b.Append("</tbody></table><p class=\"muted\">Apply the quick wins with <code>pgopt cost quick-wins --apply</code>.</p>");
    }

    private async Task ConnectionsAsync(StringBuilder b, HttpContext http, IAntiforgery antiforgery, string prefix, CancellationToken ct)
    {
        b.Append("<h2>Pools</h2>");
        var pools = monitor.LastHealth?.Metrics.ConnectionHealth.Pools ?? [];
        b.Append("<table><thead><tr><th>Endpoint</th><th class=\"num\">Busy</th><th class=\"num\">Idle</th><th class=\"num\">Max</th><th class=\"num\">Usage</th><th class=\"num\">Wait p95 ms</th><th>Circuit</th></tr></thead><tbody>");
        foreach (var p in pools)
        {
            b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(p.Endpoint)}</td><td class=\"num\">{p.Busy}</td><td class=\"num\">{p.Idle}</td><td class=\"num\">{p.Max}</td><td class=\"num\">{N(p.Usage, 1)} %</td><td class=\"num\">{N(p.WaitP95Ms, 2)}</td><td>{H(p.Circuit)}</td></tr>");
        }

        b.Append("</tbody></table>");
        b.Append("<h2>Server sessions</h2>");
        if (!await AwakeAsync(b, ct).ConfigureAwait(false))
        {
            return;
        }

        var allow = options.Value.AllowActions;
        var tokens = allow ? antiforgery.GetAndStoreTokens(http) : null;
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + """
            SELECT pid, coalesce(usename, ''), coalesce(application_name, ''), coalesce(state, ''), coalesce(wait_event_type, ''),
                   extract(epoch FROM now() - coalesce(query_start, backend_start))::float8, left(query, 300)
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()
            ORDER BY state = 'active' DESC, query_start NULLS LAST LIMIT 50
            """, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var states = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var rows = new StringBuilder();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var state = r.GetString(3);
            states[state.Length == 0 ? "(none)" : state] = states.GetValueOrDefault(state.Length == 0 ? "(none)" : state) + 1;
            var action = allow && state == "active"
                ? $"<form method=\"post\" action=\"{prefix}/actions/cancel\"><input type=\"hidden\" name=\"{H(tokens!.FormFieldName)}\" value=\"{H(tokens.RequestToken)}\"><input type=\"hidden\" name=\"pid\" value=\"{r.GetInt32(0)}\"><button type=\"submit\">Cancel query</button></form>"
                : string.Empty;
            rows.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"num\">{r.GetInt32(0)}</td><td>{H(r.GetString(1))}</td><td>{H(r.GetString(2))}</td><td>{H(state)}</td><td>{H(r.GetString(4))}</td><td class=\"num\">{N(r.GetDouble(5), 1)}</td><td><code>{H(Short(r.IsDBNull(6) ? string.Empty : r.GetString(6), 200))}</code></td><td>{action}</td></tr>");
        }

        b.Append(CultureInfo.InvariantCulture, $"<p>By state: {H(string.Join(", ", states.Select(s => $"{s.Key} {s.Value}")))}.{(allow ? string.Empty : " Actions are off (read-only).")}</p>");
        b.Append("<table><thead><tr><th class=\"num\">pid</th><th>User</th><th>Application</th><th>State</th><th>Waiting on</th><th class=\"num\">Seconds</th><th>Query</th><th><span class=\"muted\">Action</span></th></tr></thead><tbody>");
        b.Append(rows);
        b.Append("</tbody></table>");
    }

    /// <summary>One statement: its figures, its generic plan and the advisor's verdict.</summary>
    public async Task<string> StatementAsync(long queryId, CancellationToken ct)
    {
        var b = new StringBuilder();
        if (!await AwakeAsync(b, ct).ConfigureAwait(false))
        {
            return b.ToString();
        }

        var all = await new StatementStatisticsReader(connections).ReadAsync(new StatementSelection { Top = 100_000 }, ct).ConfigureAwait(false);
        if (all.FirstOrDefault(s => s.QueryId == queryId) is not { } statement)
        {
            b.Append("<p class=\"note\">No such statement in pg_stat_statements (it may have been reset).</p>");
            return b.ToString();
        }

        var total = all.Sum(s => s.TotalMs);
        b.Append("<div class=\"cards\">");
        Card(b, "Calls", N(statement.Calls));
        Card(b, "Total", $"{N(statement.TotalMs)} ms");
        Card(b, "Mean", $"{N(statement.MeanMs, 3)} ms");
        Card(b, "Share of all statements", total <= 0 ? "–" : (statement.TotalMs / total).ToString("P1", CultureInfo.InvariantCulture));
        Card(b, "Rows", N(statement.Rows));
        b.Append("</div>");
        b.Append(CultureInfo.InvariantCulture, $"<h2>Statement</h2><pre><code>{H(statement.Query)}</code></pre>");
        b.Append("<h2>Generic plan</h2>");
        if (services.GetService<IndexManager>() is not { } indexes)
        {
            b.Append("<p class=\"note\">Plans need the tools: services.AddPgOptimizerTools(configuration).</p>");
            return b.ToString();
        }

        var plan = await indexes.ExplainAsync(statement.Query, ct).ConfigureAwait(false);
        if (plan.PlanJson is null)
        {
            b.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">Not explained: {H(plan.Error)}</p>");
        }
        else
        {
            using var doc = System.Text.Json.JsonDocument.Parse(plan.PlanJson);
            var lines = new StringBuilder();
            PlanLines(doc.RootElement, 0, lines);
            b.Append(CultureInfo.InvariantCulture, $"<pre aria-label=\"Plan\"><code>{H(lines.ToString())}</code></pre>");
        }

        if (_advisor.Running is { IsCompletedSuccessfully: true } done && done.Result.Queries.FirstOrDefault(q => q.QueryId == queryId) is { } verdict)
        {
            b.Append(CultureInfo.InvariantCulture, $"<h2>The index advisor</h2><p>{H(verdict.Verdict.ToString())}: {H(verdict.Reason)}</p>");
        }

        return b.ToString();
    }

    private static void PlanLines(System.Text.Json.JsonElement node, int depth, StringBuilder lines)
    {
        string? P(string name) => node.TryGetProperty(name, out var v) ? v.ToString() : null;
        lines.Append(' ', depth * 2).Append(depth == 0 ? string.Empty : "-> ").Append(P("Node Type"));
        if (P("Index Name") is { } index)
        {
            lines.Append(" using ").Append(index);
        }

        if (P("Relation Name") is { } relation)
        {
            lines.Append(" on ").Append(relation);
        }

        lines.Append(CultureInfo.InvariantCulture, $"  (cost={P("Startup Cost")}..{P("Total Cost")} rows={P("Plan Rows")})");
        foreach (var key in new[] { "Index Cond", "Filter", "Hash Cond", "Join Filter", "Sort Key" })
        {
            if (P(key) is { } cond)
            {
                lines.Append('\n').Append(' ', (depth * 2) + 6).Append(key).Append(": ").Append(cond);
            }
        }

        lines.Append('\n');
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                PlanLines(child, depth + 1, lines);
            }
        }
    }

    private static string Short(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
