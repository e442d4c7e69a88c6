using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PgOptimizer.Samples.NeonApi;

/// <summary>Options of the double.</summary>
public sealed class NeonApiDoubleOptions
{
    /// <summary>The API key it accepts (Authorization: Bearer …).</summary>
    public string ApiKey { get; set; } = "neon-double-key";

    /// <summary>The fixture's "now" (midnight UTC of the day; default today).</summary>
    public DateTimeOffset? Now { get; set; }

    /// <summary>Answer this many requests with 429 and Retry-After before serving (rate-limit tests).</summary>
    public int ThrottleFirst { get; set; }

    /// <summary>Retry-After of a 429, seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Answer the v2 consumption endpoint with 404, as for an account without it.</summary>
    public bool WithoutBillingMetrics { get; set; }

    /// <summary>Answer the legacy consumption endpoint with 403, as on the Launch plan.</summary>
    public bool WithoutLegacyHistory { get; set; }
}

/// <summary>A call the double received.</summary>
public sealed record RecordedCall(DateTimeOffset At, string Method, string Path, string Query, string? Body, int Status);

/// <summary>
/// A local double of Neon's API v2 — the operations the cost optimizer uses — following Neon's
/// published OpenAPI document: projects, project, branches (cursor paging), endpoints, endpoint and
/// branch PATCH, branch DELETE and restore, and consumption history (the legacy endpoint and the
/// billing-metrics v2 one). Answers 401 without the key, 404 for unknown ids, 429 with Retry-After
/// when told to, and records every call (<c>GET /_double/calls</c>) so a test can say what changed.
/// </summary>
public static class NeonApiDouble
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the double's web application (call StartAsync / RunAsync).</summary>
    public static WebApplication Create(string[] args, NeonApiDoubleOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);
        var fixture = new NeonFixture(options.Now ?? DateTimeOffset.UtcNow);
        var calls = new ConcurrentQueue<RecordedCall>();
        builder.Services.AddSingleton(fixture);
        builder.Services.AddSingleton(calls);
        var app = builder.Build();
        var throttled = 0;

        // record, authenticate, throttle
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            string? body = null;
            if (request.ContentLength is > 0 || request.Method is "POST" or "PATCH")
            {
                using var reader = new StreamReader(request.Body);
                body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
                context.Items["body"] = body;
            }

            if (request.Path.StartsWithSegments("/_double", StringComparison.Ordinal))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            if (!request.Path.StartsWithSegments("/api/v2", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 404;
            }
            else if (request.Headers.Authorization.ToString() != $"Bearer {options.ApiKey}")
            {
                await WriteError(context, 401, "authentication required").ConfigureAwait(false);
            }
            else if (Interlocked.Increment(ref throttled) <= options.ThrottleFirst)
            {
                context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await WriteError(context, 429, "too many requests").ConfigureAwait(false);
            }
            else
            {
                await next(context).ConfigureAwait(false);
            }

            calls.Enqueue(new RecordedCall(DateTimeOffset.UtcNow, request.Method, request.Path.Value ?? string.Empty, request.QueryString.Value ?? string.Empty, body, context.Response.StatusCode));
        });

        app.MapGet("/_double/calls", () => Results.Json(calls.ToArray()));
        app.MapDelete("/_double/calls", () =>
        {
            calls.Clear();
            return Results.NoContent();
        });

        var api = app.MapGroup("/api/v2");
        api.MapGet("/projects", (string? cursor, int? limit) =>
        {
            var items = cursor is null ? new[] { ProjectListItem(fixture) } : [];
            return Ok(new Dictionary<string, object?>
            {
                ["projects"] = items,
                ["pagination"] = new Dictionary<string, object?> { ["cursor"] = items.Length == 0 ? cursor ?? "end" : NeonFixture.ProjectId, ["limit"] = limit ?? 10 },
                ["applications"] = new Dictionary<string, object?>(),
                ["integrations"] = new Dictionary<string, object?>(),
            });
        });
        api.MapGet("/projects/{projectId}", (string projectId, HttpContext context) =>
            projectId != NeonFixture.ProjectId ? NotFound(context, "project") : Ok(new Dictionary<string, object?> { ["project"] = Project(fixture) }));
        api.MapGet("/projects/{projectId}/branches", (string projectId, string? cursor, int? limit, HttpContext context) =>
        {
            if (projectId != NeonFixture.ProjectId)
            {
                return NotFound(context, "project");
            }

            lock (fixture.Gate)
            {
                var ordered = fixture.Branches.OrderBy(b => b.CreatedAt).ThenBy(b => b.Id, StringComparer.Ordinal).ToList();
                var start = cursor is null ? 0 : ordered.FindIndex(b => b.Id == cursor) + 1;
                var size = Math.Clamp(limit ?? 10_000, 1, 10_000);
                var page = ordered.Skip(start).Take(size).ToList();
                var more = start + page.Count < ordered.Count;
                var pagination = new Dictionary<string, object?> { ["sort_by"] = "created_at", ["sort_order"] = "asc" };
                if (more)
                {
                    pagination["next"] = page[^1].Id;
                }

                return Ok(new Dictionary<string, object?>
                {
                    ["branches"] = page.Select(b => Branch(fixture, b)).ToList(),
                    ["annotations"] = new Dictionary<string, object?>(),
                    ["pagination"] = pagination,
                });
            }
        });
        api.MapPatch("/projects/{projectId}/branches/{branchId}", (string projectId, string branchId, HttpContext context) =>
        {
            lock (fixture.Gate)
            {
                var b = fixture.Branches.FirstOrDefault(b => b.Id == branchId);
                if (projectId != NeonFixture.ProjectId || b is null)
                {
                    return NotFound(context, "branch");
                }

                var change = JsonNode.Parse((string?)context.Items["body"] ?? "{}")?["branch"];
                if (change is null)
                {
                    return Error(context, 400, "the body must be {\"branch\": {...}}");
                }

                if (change["name"] is { } name)
                {
                    b.Name = name.GetValue<string>();
                }

                if (((JsonObject)change).ContainsKey("expires_at"))
                {
                    b.ExpiresAt = change["expires_at"] is { } at ? DateTimeOffset.Parse(at.GetValue<string>(), CultureInfo.InvariantCulture) : null;
                }

                b.UpdatedAt = DateTimeOffset.UtcNow;
                fixture.Changes.Add((DateTimeOffset.UtcNow, $"PATCH branch {branchId}"));
                return Ok(new Dictionary<string, object?> { ["branch"] = Branch(fixture, b), ["operations"] = Array.Empty<object>() });
            }
        });
        api.MapDelete("/projects/{projectId}/branches/{branchId}", (string projectId, string branchId, HttpContext context) =>
        {
            lock (fixture.Gate)
            {
                var b = fixture.Branches.FirstOrDefault(b => b.Id == branchId);
                if (projectId != NeonFixture.ProjectId)
                {
                    return NotFound(context, "project");
                }

                if (b is null)
                {
                    return Results.NoContent();
                }

                if (b.Default || b.Protected)
                {
                    return Error(context, 400, $"branch {branchId} is {(b.Default ? "the default branch" : "protected")} and cannot be deleted");
                }

                fixture.Branches.Remove(b);
                fixture.Endpoints.RemoveAll(e => e.BranchId == branchId);
                fixture.Changes.Add((DateTimeOffset.UtcNow, $"DELETE branch {branchId}"));
                return Ok(new Dictionary<string, object?> { ["branch"] = Branch(fixture, b), ["operations"] = Array.Empty<object>() });
            }
        });
        api.MapPost("/projects/{projectId}/branches/{branchId}/restore", (string projectId, string branchId, HttpContext context) =>
        {
            lock (fixture.Gate)
            {
                var b = fixture.Branches.FirstOrDefault(b => b.Id == branchId);
                if (projectId != NeonFixture.ProjectId || b is null)
                {
                    return NotFound(context, "branch");
                }

                var source = JsonNode.Parse((string?)context.Items["body"] ?? "{}")?["source_branch_id"]?.GetValue<string>();
                if (source is null || fixture.Branches.All(x => x.Id != source))
                {
                    return Error(context, 400, "source_branch_id must name a branch of the project");
                }

                b.LastResetAt = DateTimeOffset.UtcNow;
                b.BilledBytes = 0;
                fixture.Changes.Add((DateTimeOffset.UtcNow, $"RESTORE branch {branchId} from {source}"));
                return Ok(new Dictionary<string, object?> { ["branch"] = Branch(fixture, b), ["operations"] = Array.Empty<object>() });
            }
        });
        api.MapGet("/projects/{projectId}/endpoints", (string projectId, HttpContext context) =>
        {
            if (projectId != NeonFixture.ProjectId)
            {
                return NotFound(context, "project");
            }

            lock (fixture.Gate)
            {
                return Ok(new Dictionary<string, object?> { ["endpoints"] = fixture.Endpoints.Select(e => Endpoint(fixture, e)).ToList() });
            }
        });
        api.MapPatch("/projects/{projectId}/endpoints/{endpointId}", (string projectId, string endpointId, HttpContext context) =>
        {
            lock (fixture.Gate)
            {
                var e = fixture.Endpoints.FirstOrDefault(e => e.Id == endpointId);
                if (projectId != NeonFixture.ProjectId || e is null)
                {
                    return NotFound(context, "endpoint");
                }

                var change = JsonNode.Parse((string?)context.Items["body"] ?? "{}")?["endpoint"];
                if (change is null)
                {
                    return Error(context, 400, "the body must be {\"endpoint\": {...}}");
                }

                var min = change["autoscaling_limit_min_cu"]?.GetValue<double>() ?? e.MinCu;
                var max = change["autoscaling_limit_max_cu"]?.GetValue<double>() ?? e.MaxCu;
                var suspend = change["suspend_timeout_seconds"]?.GetValue<long>() ?? e.SuspendTimeoutSeconds;
                if (min < 0.25 || max < min || (suspend is not (-1 or 0) && suspend is < 60 or > 604800))
                {
                    return Error(context, 400, "autoscaling limits must be at least 0.25 with min <= max; suspend_timeout_seconds -1, 0 or 60-604800");
                }

                (e.MinCu, e.MaxCu, e.SuspendTimeoutSeconds) = (min, max, suspend);
                fixture.Changes.Add((DateTimeOffset.UtcNow, $"PATCH endpoint {endpointId}"));
                return Ok(new Dictionary<string, object?> { ["endpoint"] = Endpoint(fixture, e), ["operations"] = Array.Empty<object>() });
            }
        });
        api.MapPatch("/projects/{projectId}", (string projectId, HttpContext context) =>
        {
            lock (fixture.Gate)
            {
                if (projectId != NeonFixture.ProjectId)
                {
                    return NotFound(context, "project");
                }

                var retention = JsonNode.Parse((string?)context.Items["body"] ?? "{}")?["project"]?["history_retention_seconds"];
                if (retention is not null)
                {
                    fixture.HistoryRetentionSeconds = retention.GetValue<long>();
                }

                fixture.Changes.Add((DateTimeOffset.UtcNow, $"PATCH project {projectId}"));
                return Ok(new Dictionary<string, object?> { ["project"] = Project(fixture), ["operations"] = Array.Empty<object>() });
            }
        });
        api.MapGet("/consumption_history/projects", (HttpContext context) => options.WithoutLegacyHistory
            ? Error(context, 403, "This endpoint is not available. It is only supported with Scale and Business plan accounts.")
            : Consumption(fixture, context, v2: false));
        api.MapGet("/consumption_history/v2/projects", (HttpContext context) => options.WithoutBillingMetrics
            ? Error(context, 404, "not found")
            : Consumption(fixture, context, v2: true));
        return app;
    }

    private static IResult Consumption(NeonFixture fixture, HttpContext context, bool v2)
    {
        var q = context.Request.Query;
        if (!DateTimeOffset.TryParse(q["from"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var from)
            || !DateTimeOffset.TryParse(q["to"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var to) || to <= from)
        {
            return Error(context, 400, "from and to must be date-times with from < to");
        }

        var granularity = q["granularity"].ToString();
        var step = granularity switch { "hourly" => TimeSpan.FromHours(1), "daily" => TimeSpan.FromDays(1), "monthly" => TimeSpan.FromDays(30), _ => TimeSpan.Zero };
        if (step == TimeSpan.Zero)
        {
            return Error(context, 400, "granularity must be hourly, daily or monthly");
        }

        var limit = granularity switch { "hourly" => TimeSpan.FromHours(168), "daily" => TimeSpan.FromDays(60), _ => TimeSpan.FromDays(366) };
        if (to - from > limit)
        {
            return Error(context, 406, $"The specified date-time range is outside the boundaries of the specified granularity ({granularity}: at most {limit.TotalHours} hours).");
        }

        if (v2 && string.IsNullOrEmpty(q["metrics"]))
        {
            return Error(context, 400, "metrics is required");
        }

        var ids = q["project_ids"].SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var projects = new List<object>();
        // one project, one page: a cursor (the last project id of the page before) means the end
        if ((ids.Count == 0 || ids.Contains(NeonFixture.ProjectId)) && q["cursor"].Count == 0)
        {
            lock (fixture.Gate)
            {
                var metrics = v2 ? q["metrics"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) : [];
                var periods = new List<object>();
                foreach (var (periodStart, periodEnd) in new[] { (fixture.PeriodStart.AddDays(-30), fixture.PeriodStart), (fixture.PeriodStart, fixture.PeriodEnd) })
                {
                    var frames = new List<object>();
                    var start = Max(from, periodStart);
                    for (var t = Align(start, granularity); t < to && t < periodEnd && t < fixture.Now; t += step)
                    {
                        var end = t + step;
                        var u = fixture.Sum(Max(t, start), Min(end, periodEnd));
                        frames.Add(v2
                            ? new Dictionary<string, object?>
                            {
                                ["timeframe_start"] = NeonFixture.Time(t),
                                ["timeframe_end"] = NeonFixture.Time(end),
                                ["metrics"] = new (string Name, double Value)[]
                                {
                                    ("compute_unit_seconds", Math.Round(u.CuSeconds)),
                                    ("root_branch_bytes_month", Math.Round(u.RootByteMonths)),
                                    ("child_branch_bytes_month", Math.Round(u.ChildByteMonths)),
                                    ("instant_restore_bytes_month", Math.Round(u.RestoreByteMonths)),
                                    ("public_network_transfer_bytes", Math.Round(u.Egress)),
                                    ("private_network_transfer_bytes", 0),
                                    ("extra_branches_month", Math.Round(u.ExtraBranchMonths, 6)),
                                }.Where(m => metrics.Contains(m.Name)).Select(m => new Dictionary<string, object?> { ["metric_name"] = m.Name, ["value"] = m.Value }).ToList(),
                            }
                            : new Dictionary<string, object?>
                            {
                                ["timeframe_start"] = NeonFixture.Time(t),
                                ["timeframe_end"] = NeonFixture.Time(end),
                                ["active_time_seconds"] = (long)u.ActiveSeconds,
                                ["compute_time_seconds"] = (long)Math.Round(u.CpuSeconds),
                                ["written_data_bytes"] = (long)u.Written,
                                ["synthetic_storage_size_bytes"] = u.StorageBytes,
                                ["data_storage_bytes_hour"] = (long)(u.StorageBytes * (Min(end, fixture.Now) - t).TotalHours),
                            });
                    }

                    if (frames.Count > 0)
                    {
                        var period = new Dictionary<string, object?>
                        {
                            ["period_id"] = periodStart == fixture.PeriodStart ? "0a1b2c3d-0000-4000-8000-000000000002" : "0a1b2c3d-0000-4000-8000-000000000001",
                            ["period_plan"] = "launch",
                            ["period_start"] = NeonFixture.Time(periodStart),
                            ["consumption"] = frames,
                        };
                        if (periodEnd <= fixture.Now)
                        {
                            period["period_end"] = NeonFixture.Time(periodEnd);
                        }

                        periods.Add(period);
                    }
                }

                projects.Add(new Dictionary<string, object?> { ["project_id"] = NeonFixture.ProjectId, ["periods"] = periods });
            }
        }

        return Ok(new Dictionary<string, object?> { ["projects"] = projects, ["pagination"] = new Dictionary<string, object?> { ["cursor"] = q["cursor"].Count > 0 ? q["cursor"].ToString() : NeonFixture.ProjectId, ["limit"] = int.TryParse(q["limit"], out var l) ? l : 10 } });
    }

    private static DateTimeOffset Align(DateTimeOffset t, string granularity) => granularity == "hourly"
        ? new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero)
        : new DateTimeOffset(t.UtcDateTime.Date, TimeSpan.Zero);

    private static Dictionary<string, object?> ProjectListItem(NeonFixture f)
    {
        var u = f.Sum(f.PeriodStart, f.Now);
        return new Dictionary<string, object?>
        {
            ["id"] = NeonFixture.ProjectId,
            ["platform_id"] = "aws",
            ["region_id"] = "aws-us-east-2",
            ["name"] = "pitch-platform",
            ["provisioner"] = "k8s-neonvm",
            ["pg_version"] = 17,
            ["proxy_host"] = "us-east-2.aws.neon.tech",
            ["branch_logical_size_limit"] = 0,
            ["branch_logical_size_limit_bytes"] = 0,
            ["store_passwords"] = true,
            ["active_time"] = (long)u.ActiveSeconds,
            ["cpu_used_sec"] = (long)u.CpuSeconds,
            ["creation_source"] = "console",
            ["created_at"] = NeonFixture.Time(f.ProjectCreated),
            ["updated_at"] = NeonFixture.Time(f.Now),
            ["synthetic_storage_size"] = u.StorageBytes,
            ["owner_id"] = "c1a2b3c4-0000-4000-8000-000000000001",
            ["compute_last_active_at"] = NeonFixture.Time(f.Now),
        };
    }

    private static Dictionary<string, object?> Project(NeonFixture f)
    {
        var u = f.Sum(f.PeriodStart, f.Now);
        var p = ProjectListItem(f);
        p.Remove("active_time");
        p.Remove("compute_last_active_at");
        p["consumption_period_start"] = NeonFixture.Time(f.PeriodStart);
        p["consumption_period_end"] = NeonFixture.Time(f.PeriodEnd);
        p["active_time_seconds"] = (long)u.ActiveSeconds;
        p["compute_time_seconds"] = (long)Math.Round(u.CpuSeconds);
        p["written_data_bytes"] = (long)u.Written;
        p["data_transfer_bytes"] = (long)u.Egress;
        p["data_storage_bytes_hour"] = (long)(u.StorageBytes * (f.Now - f.PeriodStart).TotalHours);
        p["history_retention_seconds"] = f.HistoryRetentionSeconds;
        return p;
    }

    private static Dictionary<string, object?> Branch(NeonFixture f, FixtureBranch b)
    {
        var u = f.Sum(f.PeriodStart, f.Now, [b]);
        var d = new Dictionary<string, object?>
        {
            ["id"] = b.Id,
            ["project_id"] = NeonFixture.ProjectId,
            ["name"] = b.Name,
            ["current_state"] = "ready",
            ["state_changed_at"] = NeonFixture.Time(b.CreatedAt),
            ["logical_size"] = b.LogicalSize,
            ["creation_source"] = "console",
            ["primary"] = b.Default,
            ["default"] = b.Default,
            ["protected"] = b.Protected,
            ["cpu_used_sec"] = (long)Math.Round(u.CpuSeconds),
            ["compute_time_seconds"] = (long)Math.Round(u.CpuSeconds),
            ["active_time_seconds"] = (long)u.ActiveSeconds,
            ["written_data_bytes"] = (long)u.Written,
            ["data_transfer_bytes"] = (long)u.Egress,
            ["created_at"] = NeonFixture.Time(b.CreatedAt),
            ["updated_at"] = NeonFixture.Time(b.UpdatedAt),
        };
        if (b.ParentId is not null)
        {
            d["parent_id"] = b.ParentId;
            d["parent_lsn"] = "0/1F2E3D4";
            d["parent_timestamp"] = NeonFixture.Time(b.CreatedAt);
        }

        if (b.LastResetAt is { } reset)
        {
            d["last_reset_at"] = NeonFixture.Time(reset);
        }

        if (b.ExpiresAt is { } expires)
        {
            d["expires_at"] = NeonFixture.Time(expires);
        }

        return d;
    }

    private static Dictionary<string, object?> Endpoint(NeonFixture f, FixtureEndpoint e)
    {
        var lastActive = f.Hours(f.Now.AddDays(-40), f.Now).Where(h => f.Hour(e, h).Active).Select(h => (DateTimeOffset?)h.AddHours(1)).LastOrDefault();
        var active = lastActive is { } last && last >= f.Now && (e.SuspendTimeoutSeconds == -1 || f.Hour(e, f.Now.AddHours(-1)).Active);
        var host = e.Host ?? $"{e.Id}.us-east-2.aws.neon.tech";
        var d = new Dictionary<string, object?>
        {
            ["host"] = host,
            ["id"] = e.Id,
            ["project_id"] = NeonFixture.ProjectId,
            ["branch_id"] = e.BranchId,
            ["autoscaling_limit_min_cu"] = e.MinCu,
            ["autoscaling_limit_max_cu"] = e.MaxCu,
            ["region_id"] = "aws-us-east-2",
            ["type"] = e.Type,
            ["current_state"] = active ? "active" : "idle",
            ["settings"] = new Dictionary<string, object?>(),
            ["pooler_enabled"] = false,
            ["pooler_mode"] = "transaction",
            ["disabled"] = false,
            ["passwordless_access"] = true,
            ["creation_source"] = "console",
            ["created_at"] = NeonFixture.Time(e.CreatedAt),
            ["updated_at"] = NeonFixture.Time(e.CreatedAt),
            ["proxy_host"] = "us-east-2.aws.neon.tech",
            ["suspend_timeout_seconds"] = e.SuspendTimeoutSeconds,
            ["provisioner"] = "k8s-neonvm",
        };
        if (lastActive is { } la)
        {
            d["last_active"] = NeonFixture.Time(la > f.Now ? f.Now : la);
        }

        return d;
    }

    private static IResult Ok(object body) => Results.Json(body, Json);

    private static IResult NotFound(HttpContext context, string what) => Error(context, 404, $"{what} not found");

    private static IResult Error(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return Results.Json(new Dictionary<string, object?> { ["code"] = status.ToString(CultureInfo.InvariantCulture), ["message"] = message, ["request_id"] = Guid.NewGuid().ToString() }, Json, statusCode: status);
    }

    private static Task WriteError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?> { ["code"] = status.ToString(CultureInfo.InvariantCulture), ["message"] = message, ["request_id"] = Guid.NewGuid().ToString() }));
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
