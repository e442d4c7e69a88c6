using System.Text.Json.Serialization;

namespace PgOptimizer.Cost;

// The parts of Neon's API (https://console.neon.tech/api/v2) the cost optimizer reads and writes.
// Each type names the schema of Neon's published OpenAPI document it follows (NeonSchema); a
// contract test checks every property against that schema. Property names are snake_case on the
// wire (NeonJsonContext).

/// <summary>Names the schema of Neon's OpenAPI document a type follows.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NeonSchemaAttribute(string schema) : Attribute
{
    /// <summary>The schema's name under <c>components/schemas</c>, or a name of the allow-list for shapes the document lacks.</summary>
    public string Schema { get; } = schema;
}

/// <summary>A Neon project, as <c>GET /projects/{project_id}</c> returns it.</summary>
[NeonSchema("Project")]
public sealed record NeonProject
{
    /// <summary>The project id.</summary>
    public required string Id { get; init; }

    /// <summary>The project's name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The region, e.g. aws-us-east-2.</summary>
    public string? RegionId { get; init; }

    /// <summary>Start of the current consumption (billing) period.</summary>
    public DateTimeOffset? ConsumptionPeriodStart { get; init; }

    /// <summary>End of the current consumption period.</summary>
    public DateTimeOffset? ConsumptionPeriodEnd { get; init; }

    /// <summary>Wall-clock seconds the project's computes were active in the period.</summary>
    public long ActiveTimeSeconds { get; init; }

    /// <summary>CPU seconds the project's computes used in the period.</summary>
    public long ComputeTimeSeconds { get; init; }

    /// <summary>Bytes of WAL written in the period.</summary>
    public long WrittenDataBytes { get; init; }

    /// <summary>Egress bytes in the period.</summary>
    public long DataTransferBytes { get; init; }

    /// <summary>Storage and history the project occupies now, bytes.</summary>
    public long? SyntheticStorageSize { get; init; }

    /// <summary>The restore window (history retention), seconds.</summary>
    public long HistoryRetentionSeconds { get; init; }

    /// <summary>When the project was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A project in the list <c>GET /projects</c> returns.</summary>
[NeonSchema("ProjectListItem")]
public sealed record NeonProjectListItem
{
    /// <summary>The project id.</summary>
    public required string Id { get; init; }

    /// <summary>The project's name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The region.</summary>
    public string? RegionId { get; init; }

    /// <summary>When any endpoint was last active.</summary>
    public DateTimeOffset? ComputeLastActiveAt { get; init; }
}

/// <summary>A branch, as <c>GET /projects/{project_id}/branches</c> lists it.</summary>
[NeonSchema("Branch")]
public sealed record NeonBranch
{
    /// <summary>The branch id (br-…).</summary>
    public required string Id { get; init; }

    /// <summary>The project id.</summary>
    public string ProjectId { get; init; } = string.Empty;

    /// <summary>The parent branch's id; null for the root branch.</summary>
    public string? ParentId { get; init; }

    /// <summary>The branch's name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>init, ready or archived.</summary>
    public string? CurrentState { get; init; }

    /// <summary>The logical size of its databases, bytes.</summary>
    public long? LogicalSize { get; init; }

    /// <summary>The project's default branch (never deleted or reset by the optimizer).</summary>
    public bool Default { get; init; }

    /// <summary>A protected branch (never deleted or reset by the optimizer).</summary>
    public bool Protected { get; init; }

    /// <summary>CPU seconds of its computes in the period.</summary>
    public long ComputeTimeSeconds { get; init; }

    /// <summary>Wall-clock seconds its computes were active in the period.</summary>
    public long ActiveTimeSeconds { get; init; }

    /// <summary>Bytes of WAL written on it in the period.</summary>
    public long WrittenDataBytes { get; init; }

    /// <summary>Egress from it in the period, bytes.</summary>
    public long DataTransferBytes { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last updated.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When it was last reset to its parent.</summary>
    public DateTimeOffset? LastResetAt { get; init; }

    /// <summary>When Neon deletes it by itself (branch expiration; not in the v2 document, see the allow-list).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A compute endpoint.</summary>
[NeonSchema("Endpoint")]
public sealed record NeonEndpoint
{
    /// <summary>The endpoint id (ep-…).</summary>
    public required string Id { get; init; }

    /// <summary>The host applications connect to.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The project id.</summary>
    public string ProjectId { get; init; } = string.Empty;

    /// <summary>The branch it serves.</summary>
    public string BranchId { get; init; } = string.Empty;

    /// <summary>Autoscaling minimum, compute units.</summary>
    public double AutoscalingLimitMinCu { get; init; }

    /// <summary>Autoscaling maximum, compute units.</summary>
    public double AutoscalingLimitMaxCu { get; init; }

    /// <summary>read_write or read_only.</summary>
    public string Type { get; init; } = "read_write";

    /// <summary>init, active or idle (suspended).</summary>
    public string CurrentState { get; init; } = "idle";

    /// <summary>Seconds of inactivity before it suspends: 0 the default (300), -1 never.</summary>
    public long SuspendTimeoutSeconds { get; init; }

    /// <summary>When it was last active.</summary>
    public DateTimeOffset? LastActive { get; init; }

    /// <summary>Connections restricted (suspended on purpose).</summary>
    public bool Disabled { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>The error body Neon returns with a failing status.</summary>
[NeonSchema("GeneralError")]
public sealed record NeonGeneralError
{
    /// <summary>Neon's error code.</summary>
    public string? Code { get; init; }

    /// <summary>What went wrong.</summary>
    public string? Message { get; init; }

    /// <summary>The request's id, for Neon's support.</summary>
    public string? RequestId { get; init; }
}

/// <summary>One page of projects.</summary>
[NeonSchema("ProjectsResponse|PaginationResponse")]
public sealed record NeonProjectsPage
{
    /// <summary>The projects.</summary>
    public IReadOnlyList<NeonProjectListItem> Projects { get; init; } = [];

    /// <summary>The cursor of the next page (PaginationResponse).</summary>
    public NeonPagination? Pagination { get; init; }
}

/// <summary>A page cursor (Pagination of the projects list, CursorPagination of the branches list).</summary>
[NeonSchema("Pagination|CursorPagination")]
public sealed record NeonPagination
{
    /// <summary>The projects list's cursor.</summary>
    public string? Cursor { get; init; }

    /// <summary>The branches list's cursor of the next page.</summary>
    public string? Next { get; init; }
}

/// <summary><c>GET /projects/{project_id}</c>.</summary>
[NeonSchema("ProjectResponse")]
public sealed record NeonProjectResponse
{
    /// <summary>The project.</summary>
    public required NeonProject Project { get; init; }
}

/// <summary>One page of branches.</summary>
[NeonSchema("BranchesResponse|CursorPaginationResponse")]
public sealed record NeonBranchesPage
{
    /// <summary>The branches.</summary>
    public IReadOnlyList<NeonBranch> Branches { get; init; } = [];

    /// <summary>The cursor of the next page (CursorPaginationResponse).</summary>
    public NeonPagination? Pagination { get; init; }
}

/// <summary><c>GET /projects/{project_id}/endpoints</c>.</summary>
[NeonSchema("EndpointsResponse")]
public sealed record NeonEndpointsResponse
{
    /// <summary>The endpoints.</summary>
    public IReadOnlyList<NeonEndpoint> Endpoints { get; init; } = [];
}

/// <summary>The changes of <c>PATCH /projects/{project_id}/endpoints/{endpoint_id}</c>; null fields are not sent.</summary>
[NeonSchema("EndpointUpdateRequest.endpoint")]
public sealed record NeonEndpointUpdate
{
    /// <summary>New autoscaling minimum.</summary>
    public double? AutoscalingLimitMinCu { get; init; }

    /// <summary>New autoscaling maximum.</summary>
    public double? AutoscalingLimitMaxCu { get; init; }

    /// <summary>New suspend timeout (seconds; -1 never).</summary>
    public long? SuspendTimeoutSeconds { get; init; }
}

/// <summary>The body of an endpoint PATCH.</summary>
[NeonSchema("EndpointUpdateRequest")]
public sealed record NeonEndpointUpdateRequest
{
    /// <summary>The changes.</summary>
    public required NeonEndpointUpdate Endpoint { get; init; }
}

/// <summary>The changes of <c>PATCH /projects/{project_id}/branches/{branch_id}</c>.</summary>
[NeonSchema("BranchUpdateRequest.branch")]
public sealed record NeonBranchUpdate
{
    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>When Neon should delete the branch by itself (beyond the v2 document, see the allow-list).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>The body of a branch PATCH.</summary>
[NeonSchema("BranchUpdateRequest")]
public sealed record NeonBranchUpdateRequest
{
    /// <summary>The changes.</summary>
    public required NeonBranchUpdate Branch { get; init; }
}

/// <summary>The body of <c>POST /projects/{project_id}/branches/{branch_id}/restore</c>.</summary>
[NeonSchema("BranchRestoreRequest")]
public sealed record NeonBranchRestoreRequest
{
    /// <summary>The branch to restore from: the parent, to reset a branch to it.</summary>
    public required string SourceBranchId { get; init; }

    /// <summary>Keep the branch's previous state under this name (the undo of a reset).</summary>
    public string? PreserveUnderName { get; init; }
}

/// <summary>Legacy <c>GET /consumption_history/projects</c>.</summary>
[NeonSchema("ConsumptionHistoryPerProjectResponse|PaginationResponse")]
public sealed record NeonConsumptionResponse
{
    /// <summary>Per project.</summary>
    public IReadOnlyList<NeonProjectConsumption> Projects { get; init; } = [];

    /// <summary>The next page's cursor.</summary>
    public NeonPagination? Pagination { get; init; }
}

/// <summary>One project's legacy consumption.</summary>
[NeonSchema("ConsumptionHistoryPerProject")]
public sealed record NeonProjectConsumption
{
    /// <summary>The project id.</summary>
    public string ProjectId { get; init; } = string.Empty;

    /// <summary>Per billing period.</summary>
    public IReadOnlyList<NeonConsumptionPeriod> Periods { get; init; } = [];
}

/// <summary>A billing period of the legacy history.</summary>
[NeonSchema("ConsumptionHistoryPerPeriod")]
public sealed record NeonConsumptionPeriod
{
    /// <summary>The period's id.</summary>
    public string? PeriodId { get; init; }

    /// <summary>The plan billed in the period (launch, scale, …).</summary>
    public string? PeriodPlan { get; init; }

    /// <summary>Start of the period.</summary>
    public DateTimeOffset PeriodStart { get; init; }

    /// <summary>End of the period (past periods only).</summary>
    public DateTimeOffset? PeriodEnd { get; init; }

    /// <summary>The timeframes.</summary>
    public IReadOnlyList<NeonConsumptionTimeframe> Consumption { get; init; } = [];
}

/// <summary>One timeframe (an hour, a day) of the legacy history.</summary>
[NeonSchema("ConsumptionHistoryPerTimeframe")]
public sealed record NeonConsumptionTimeframe
{
    /// <summary>Start.</summary>
    public DateTimeOffset TimeframeStart { get; init; }

    /// <summary>End.</summary>
    public DateTimeOffset TimeframeEnd { get; init; }

    /// <summary>Wall-clock seconds computes were active.</summary>
    public long ActiveTimeSeconds { get; init; }

    /// <summary>CPU seconds used.</summary>
    public long ComputeTimeSeconds { get; init; }

    /// <summary>WAL written, bytes.</summary>
    public long WrittenDataBytes { get; init; }

    /// <summary>Storage occupied, bytes.</summary>
    public long SyntheticStorageSizeBytes { get; init; }
}

/// <summary><c>GET /consumption_history/v2/projects</c>: billing metrics per timeframe. Not in the v2 document; see the allow-list.</summary>
[NeonSchema("ConsumptionHistoryV2Response")]
public sealed record NeonConsumptionV2Response
{
    /// <summary>Per project.</summary>
    public IReadOnlyList<NeonConsumptionV2Series> Projects { get; init; } = [];

    /// <summary>The next page's cursor.</summary>
    public NeonPagination? Pagination { get; init; }
}

/// <summary>One project's billing-metric history.</summary>
[NeonSchema("ConsumptionHistoryV2Series")]
public sealed record NeonConsumptionV2Series
{
    /// <summary>The project id.</summary>
    public string ProjectId { get; init; } = string.Empty;

    /// <summary>Per billing period.</summary>
    public IReadOnlyList<NeonConsumptionV2Period> Periods { get; init; } = [];
}

/// <summary>A billing period of the v2 history.</summary>
[NeonSchema("ConsumptionHistoryV2Period")]
public sealed record NeonConsumptionV2Period
{
    /// <summary>The period's id.</summary>
    public string? PeriodId { get; init; }

    /// <summary>The plan billed (launch, scale, …).</summary>
    public string? PeriodPlan { get; init; }

    /// <summary>Start of the period.</summary>
    public DateTimeOffset PeriodStart { get; init; }

    /// <summary>End of the period.</summary>
    public DateTimeOffset? PeriodEnd { get; init; }

    /// <summary>The timeframes.</summary>
    public IReadOnlyList<NeonConsumptionV2Timeframe> Consumption { get; init; } = [];
}

/// <summary>One timeframe of the v2 history: metric name and value pairs.</summary>
[NeonSchema("ConsumptionHistoryV2Timeframe")]
public sealed record NeonConsumptionV2Timeframe
{
    /// <summary>Start.</summary>
    public DateTimeOffset TimeframeStart { get; init; }

    /// <summary>End.</summary>
    public DateTimeOffset TimeframeEnd { get; init; }

    /// <summary>The metrics (compute_unit_seconds, root_branch_bytes_month, …).</summary>
    public IReadOnlyList<NeonMetricValue> Metrics { get; init; } = [];
}

/// <summary>A metric of a v2 timeframe.</summary>
[NeonSchema("ConsumptionHistoryV2Metric")]
public sealed record NeonMetricValue
{
    /// <summary>compute_unit_seconds, root_branch_bytes_month, child_branch_bytes_month, instant_restore_bytes_month, public_network_transfer_bytes, private_network_transfer_bytes, extra_branches_month.</summary>
    public string MetricName { get; init; } = string.Empty;

    /// <summary>The value in the metric's unit.</summary>
    public double Value { get; init; }
}

/// <summary>Source-generated serialization of Neon's API (snake_case, nulls not written).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(NeonProjectResponse))]
[JsonSerializable(typeof(NeonProjectsPage))]
[JsonSerializable(typeof(NeonBranchesPage))]
[JsonSerializable(typeof(NeonEndpointsResponse))]
[JsonSerializable(typeof(NeonEndpointUpdateRequest))]
[JsonSerializable(typeof(NeonBranchUpdateRequest))]
[JsonSerializable(typeof(NeonBranchRestoreRequest))]
[JsonSerializable(typeof(NeonConsumptionResponse))]
[JsonSerializable(typeof(NeonConsumptionV2Response))]
[JsonSerializable(typeof(NeonGeneralError))]
internal sealed partial class NeonJsonContext : JsonSerializerContext;
