using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace PgOptimizer.Cost;

/// <summary>
/// A typed client of Neon's API v2: projects, branches (cursor paging), endpoints, the endpoint
/// and branch changes the cost optimizer makes, and consumption history (the billing metrics of
/// <c>/consumption_history/v2/projects</c> where the account has them, else the legacy endpoint).
/// Retries (429 after Retry-After, 5xx) come from the resilience handler <see cref="CostServiceCollectionExtensions.AddPgCost(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{CostOptions}?)"/>
/// puts in front of it. The API key goes in the Authorization header only; no message carries it.
/// </summary>
public sealed class NeonApiClient
{
    /// <summary>The v2 billing metrics the optimizer reads.</summary>
    public const string BillingMetrics = "compute_unit_seconds,root_branch_bytes_month,child_branch_bytes_month,instant_restore_bytes_month,public_network_transfer_bytes,extra_branches_month";

    private readonly HttpClient _http;
    private readonly CostOptions _options;

    /// <summary>Creates the client on an <see cref="HttpClient"/> (from IHttpClientFactory in an application).</summary>
    public NeonApiClient(HttpClient http, IOptions<CostOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _options = options.Value;
        _http.BaseAddress ??= BaseUri(_options.NeonApiUrl);
    }

    /// <summary>The API's address this client calls (no key).</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The API's base address with a trailing slash (so relative paths append to it); the default when <paramref name="url"/> is empty.</summary>
    /// <exception cref="PgOptimizerConfigurationException">Not an http(s) URL.</exception>
    public static Uri BaseUri(string? url)
    {
        var text = string.IsNullOrWhiteSpace(url) ? CostDefaults.NeonApiUrl : url.Trim();
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            throw new PgOptimizerConfigurationException($"The Neon API address '{text}' is not an http(s) URL; give e.g. {CostDefaults.NeonApiUrl}.");
        }

        return uri;
    }

    /// <summary>All projects of the account (every page).</summary>
    public async Task<IReadOnlyList<NeonProjectListItem>> ListProjectsAsync(CancellationToken cancellationToken = default)
    {
        var all = new List<NeonProjectListItem>();
        string? cursor = null;
        do
        {
            var page = await GetAsync($"projects?limit={Math.Min(_options.PageSize, 400)}{Cursor(cursor)}", NeonJsonContext.Default.NeonProjectsPage, "list projects", cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Projects);
            cursor = page.Projects.Count == 0 || page.Pagination?.Cursor == cursor ? null : page.Pagination?.Cursor;
        }
        while (cursor is not null && all.Count < 100_000);
        return all;
    }

    /// <summary>One project with its consumption figures for the current period.</summary>
    public async Task<NeonProject> GetProjectAsync(string projectId, CancellationToken cancellationToken = default) =>
        (await GetAsync($"projects/{Id(projectId, "project")}", NeonJsonContext.Default.NeonProjectResponse, $"read project {projectId}", cancellationToken).ConfigureAwait(false)).Project;

    /// <summary>All branches of a project, following the cursor.</summary>
    public async Task<IReadOnlyList<NeonBranch>> ListBranchesAsync(string projectId, CancellationToken cancellationToken = default)
    {
        var all = new List<NeonBranch>();
        string? cursor = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            var page = await GetAsync($"projects/{Id(projectId, "project")}/branches?limit={_options.PageSize}{Cursor(cursor)}", NeonJsonContext.Default.NeonBranchesPage, $"list branches of {projectId}", cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Branches.Where(b => seen.Add(b.Id)));
            cursor = page.Branches.Count == 0 || page.Pagination?.Next == cursor ? null : page.Pagination?.Next;
        }
        while (cursor is not null && all.Count < 100_000);
        return all;
    }

    /// <summary>The compute endpoints of a project.</summary>
    public async Task<IReadOnlyList<NeonEndpoint>> ListEndpointsAsync(string projectId, CancellationToken cancellationToken = default) =>
        (await GetAsync($"projects/{Id(projectId, "project")}/endpoints", NeonJsonContext.Default.NeonEndpointsResponse, $"list endpoints of {projectId}", cancellationToken).ConfigureAwait(false)).Endpoints;

    /// <summary>Changes an endpoint's autoscaling limits or suspend timeout.</summary>
    public async Task UpdateEndpointAsync(string projectId, string endpointId, NeonEndpointUpdate update, CancellationToken cancellationToken = default)
    {
        using var content = JsonContent.Create(new NeonEndpointUpdateRequest { Endpoint = update }, NeonJsonContext.Default.NeonEndpointUpdateRequest);
        await SendAsync(HttpMethod.Patch, $"projects/{Id(projectId, "project")}/endpoints/{Id(endpointId, "endpoint")}", content, $"update endpoint {endpointId}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renames a branch or sets its expiry.</summary>
    public async Task UpdateBranchAsync(string projectId, string branchId, NeonBranchUpdate update, CancellationToken cancellationToken = default)
    {
        using var content = JsonContent.Create(new NeonBranchUpdateRequest { Branch = update }, NeonJsonContext.Default.NeonBranchUpdateRequest);
        await SendAsync(HttpMethod.Patch, $"projects/{Id(projectId, "project")}/branches/{Id(branchId, "branch")}", content, $"update branch {branchId}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a branch (a branch already gone is not an error).</summary>
    public Task DeleteBranchAsync(string projectId, string branchId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"projects/{Id(projectId, "project")}/branches/{Id(branchId, "branch")}", null, $"delete branch {branchId}", cancellationToken);

    /// <summary>Resets a branch to its parent's latest state (restore from the parent), keeping the old state under <paramref name="preserveUnderName"/> when given.</summary>
    public async Task ResetToParentAsync(string projectId, string branchId, string parentId, string? preserveUnderName = null, CancellationToken cancellationToken = default)
    {
        using var content = JsonContent.Create(new NeonBranchRestoreRequest { SourceBranchId = parentId, PreserveUnderName = preserveUnderName }, NeonJsonContext.Default.NeonBranchRestoreRequest);
        await SendAsync(HttpMethod.Post, $"projects/{Id(projectId, "project")}/branches/{Id(branchId, "branch")}/restore", content, $"reset branch {branchId} to its parent", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A project's usage from <paramref name="from"/> to <paramref name="to"/>: Neon's billing metrics
    /// (v2) when the account has them, else the legacy history (CPU seconds, synthetic storage).
    /// Neither call wakes a suspended compute.
    /// </summary>
    public async Task<NeonUsageHistory> GetUsageAsync(string projectId, DateTimeOffset from, DateTimeOffset to, string granularity = "daily", CancellationToken cancellationToken = default)
    {
        Id(projectId, "project");
        try
        {
            return new NeonUsageHistory(NeonUsageSource.BillingMetrics, await BillingMetricsAsync(projectId, from, to, granularity, cancellationToken).ConfigureAwait(false));
        }
        catch (NeonApiException ex) when (ex.Status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest)
        {
            // the account has no billing-metrics history (older plans): the legacy endpoint
            return new NeonUsageHistory(NeonUsageSource.Legacy, await LegacyAsync(projectId, from, to, granularity, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>The legacy history's CPU seconds per timeframe (hourly for peaks); null when the account's plan does not have it.</summary>
    public async Task<IReadOnlyList<NeonUsagePoint>?> TryGetCpuHistoryAsync(string projectId, DateTimeOffset from, DateTimeOffset to, string granularity = "hourly", CancellationToken cancellationToken = default)
    {
        try
        {
            return await LegacyAsync(projectId, from, to, granularity, cancellationToken).ConfigureAwait(false);
        }
        catch (NeonApiException ex) when (ex.Status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.NotAcceptable)
        {
            return null;
        }
    }

    private Task<List<NeonUsagePoint>> BillingMetricsAsync(string projectId, DateTimeOffset from, DateTimeOffset to, string granularity, CancellationToken ct) =>
        UsagePagesAsync(
            $"consumption_history/v2/projects?project_ids={Uri.EscapeDataString(projectId)}&from={Time(from)}&to={Time(to)}&granularity={granularity}&metrics={BillingMetrics}{Org()}&limit=100",
            NeonJsonContext.Default.NeonConsumptionV2Response, "read consumption history",
            (page, points) =>
            {
                foreach (var period in page.Projects.Where(p => p.ProjectId == projectId).SelectMany(p => p.Periods))
                {
                    foreach (var t in period.Consumption)
                    {
                        double M(string name) => t.Metrics.Where(m => m.MetricName == name).Sum(m => m.Value);
                        points.Add(new NeonUsagePoint(t.TimeframeStart, t.TimeframeEnd, period.PeriodPlan, period.PeriodStart,
                            M("compute_unit_seconds"), M("root_branch_bytes_month") + M("child_branch_bytes_month"), M("instant_restore_bytes_month"),
                            M("public_network_transfer_bytes"), M("extra_branches_month"), null));
                    }
                }

                return (page.Projects.Count, page.Pagination?.Cursor);
            },
            ct);

    private Task<List<NeonUsagePoint>> LegacyAsync(string projectId, DateTimeOffset from, DateTimeOffset to, string granularity, CancellationToken ct) =>
        UsagePagesAsync(
            $"consumption_history/projects?project_ids={Uri.EscapeDataString(projectId)}&from={Time(from)}&to={Time(to)}&granularity={granularity}{Org()}&limit=100",
            NeonJsonContext.Default.NeonConsumptionResponse, "read consumption history (legacy)",
            (page, points) =>
            {
                foreach (var period in page.Projects.Where(p => p.ProjectId == projectId).SelectMany(p => p.Periods))
                {
                    foreach (var t in period.Consumption)
                    {
                        var hours = Math.Max((t.TimeframeEnd - t.TimeframeStart).TotalHours, 0);
                        points.Add(new NeonUsagePoint(t.TimeframeStart, t.TimeframeEnd, period.PeriodPlan, period.PeriodStart,
                            t.ComputeTimeSeconds, t.SyntheticStorageSizeBytes * hours / CostDefaults.HoursPerMonth, 0, 0, 0, t.ComputeTimeSeconds));
                    }
                }

                return (page.Projects.Count, page.Pagination?.Cursor);
            },
            ct);

    /// <summary>Follows a consumption endpoint's cursor; <paramref name="read"/> adds a page's points and returns its project count and next cursor.</summary>
    private async Task<List<NeonUsagePoint>> UsagePagesAsync<TPage>(string url, JsonTypeInfo<TPage> type, string what, Func<TPage, List<NeonUsagePoint>, (int Projects, string? Next)> read, CancellationToken ct)
    {
        var points = new List<NeonUsagePoint>();
        string? cursor = null;
        do
        {
            var page = await GetAsync(url + Cursor(cursor), type, what, ct).ConfigureAwait(false);
            var (projects, next) = read(page, points);
            cursor = projects == 0 || next == cursor ? null : next;
        }
        while (cursor is not null && points.Count < 1_000_000);
        return points.OrderBy(p => p.Start).ToList();
    }

    /// <summary>Makes a call an action lists, exactly as listed (quick wins).</summary>
    public async Task SendAsync(NeonApiCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Path.Contains("..", StringComparison.Ordinal) || call.Path.StartsWith('/') || call.Path.Contains("://", StringComparison.Ordinal))
        {
            throw new PgOptimizerConfigurationException($"'{call.Path}' is not a path under Neon's API.");
        }

        using var content = call.Body is null ? null : new StringContent(call.Body, System.Text.Encoding.UTF8, "application/json");
        await SendAsync(new HttpMethod(call.Method), call.Path, content, $"{call.Method} /{call.Path}", cancellationToken).ConfigureAwait(false);
    }

    private string Org() => string.IsNullOrWhiteSpace(_options.NeonOrgId) ? string.Empty : $"&org_id={Uri.EscapeDataString(_options.NeonOrgId)}";

    private static string Cursor(string? cursor) => cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}";

    private static string Time(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    /// <summary>Throws unless <paramref name="id"/> is a well-formed Neon id (1-60 lower-case letters, digits and '-').</summary>
    /// <exception cref="PgOptimizerConfigurationException">It is not.</exception>
    public static string CheckId(string id, string what) => Id(id, what);

    private static string Id(string id, string what)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 60 || !id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new PgOptimizerConfigurationException($"'{id}' is not a Neon {what} id: ids are 1-60 lower-case letters, digits and '-' (e.g. steep-pond-123456 for a project, br-… for a branch, ep-… for an endpoint).");
        }

        return id;
    }

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, string what, CancellationToken ct)
    {
        using var response = await SendCoreAsync(HttpMethod.Get, path, null, what, ct).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false)
                ?? throw new NeonApiException($"Neon's API answered '{what}' with an empty body.", response.StatusCode);
        }
        catch (JsonException ex)
        {
            throw new NeonApiException($"Neon's API answered '{what}' with a body this client cannot read ({ex.Message}); is {_http.BaseAddress} Neon's API v2?", response.StatusCode, null, ex);
        }
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, string what, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, content, what, ct).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, HttpContent? content, string what, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(_options.NeonApiKey))
        {
            throw new PgOptimizerConfigurationException("No Neon API key: set NEON_API_KEY (create one in the Neon console under Account settings → API keys) or PgOptimizer:Cost:NeonApiKey.");
        }

        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.NeonApiKey.Trim());
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new NeonApiException($"Could not reach Neon's API at {_http.BaseAddress} to {what}: {ex.Message}", null, null, ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new NeonApiException($"Neon's API at {_http.BaseAddress} did not answer in time to {what}.", null, null, ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            NeonGeneralError? error = null;
            try
            {
                error = await response.Content.ReadFromJsonAsync(NeonJsonContext.Default.NeonGeneralError, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
            {
                // not Neon's error body
            }

            var said = error?.Message is { Length: > 0 } m ? $": {m}" : string.Empty;
            var request_id = error?.RequestId is { Length: > 0 } r ? $" (request id {r})" : string.Empty;
            var hint = response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => " Neon rejected the API key: check NEON_API_KEY (a key is revoked when deleted in the console; create a new one under Account settings → API keys).",
                HttpStatusCode.Forbidden => " The API key may not do this: use a key of the organization that owns the project, or an admin's key.",
                HttpStatusCode.NotFound => " Check the project id (pgopt cost report lists none without it; the Neon console shows it under Settings → General).",
                HttpStatusCode.TooManyRequests => " Neon's rate limit: retried after the time it asked for, and still refused; run again later.",
                _ => string.Empty,
            };
            throw new NeonApiException($"Neon's API refused to {what}: HTTP {(int)response.StatusCode}{said}{request_id}.{hint}", response.StatusCode, error?.Code);
        }
    }
}
