using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>
/// Indexes as code: plan a catalog against the database, apply it safely, check index health.
/// Works on the primary's direct endpoint: session advisory locks and long concurrent builds do
/// not belong behind a transaction-mode pooler.
/// </summary>
public sealed class IndexManager(PgConnectionManager connections, IOptions<IndexingOptions> options, ILogger<IndexManager>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly IndexingOptions _options = new IndexingOptionsValidator().ThrowIfInvalid(options.Value, "Indexing");

    private NpgsqlDataSource DirectDataSource
    {
        get
        {
            if (connections.Primary.Host.IsPooler)
            {
                throw new PgOptimizerConfigurationException(
                    $"{connections.Primary.Description} is a PgBouncer transaction-mode pooler: index builds need a direct connection (session advisory lock, long CREATE INDEX CONCURRENTLY). Use the host without -pooler.");
            }

            return connections.Primary.DataSource;
        }
    }

    /// <summary>What apply would do, without changing anything.</summary>
    public async Task<IndexPlan> PlanAsync(IndexCatalog catalog, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        await using var conn = await DirectDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var schemaOf = await IndexValidator.ValidateAsync(conn, catalog, cancellationToken).ConfigureAwait(false);
        return await IndexPlanner.PlanAsync(conn, catalog, schemaOf, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Validates, plans and (unless <paramref name="dryRun"/>) builds what is missing.</summary>
    public Task<IndexApplyReport> ApplyAsync(IndexCatalog catalog, bool dryRun = false, IProgress<IndexBuildProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new IndexApplier(DirectDataSource, _options, _logger).ApplyAsync(catalog, dryRun, progress, cancellationToken);

    /// <summary>Index health: invalid, duplicate, redundant, unused, bloated indexes, heavy sequential scans, unindexed foreign keys, coverage, index-only scans on tables whose pages are mostly not all-visible.</summary>
    public Task<IndexHealthReport> PerformIndexHealthCheckAsync(CancellationToken cancellationToken = default) =>
        IndexHealthChecker.CheckAsync(connections.Primary.DataSource, connections.Replicas.Select(r => r.DataSource).ToList(), _options, cancellationToken);

    /// <summary>
    /// Index coverage of given statements (e.g. a load test's operations with their call counts): the
    /// share, by calls and by time, whose generic plans scan no large table sequentially.
    /// </summary>
    public async Task<IndexCoverage> CoverageOfAsync(IReadOnlyList<StatementStatistics> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await IndexHealthChecker.CoverageOfAsync(connections.Primary.DataSource, conn, statements, _options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Index recommendations for the workload in pg_stat_statements (HypoPG what-if costs). Builds nothing.</summary>
    /// <param name="sampleQueries">
    /// The application's SQL with its constants (optional). pg_stat_statements replaces constants
    /// with parameters, which hides what partial and expression indexes need; a sample whose shape
    /// matches a statement is explained in its place.
    /// </param>
    /// <param name="cancellationToken">Cancels the analysis; nothing is left behind (hypothetical indexes live in its session).</param>
    public Task<AdvisorReport> AdviseAsync(IReadOnlyList<string>? sampleQueries = null, CancellationToken cancellationToken = default) =>
        new IndexAdvisor(DirectDataSource, connections.Replicas.Select(r => r.DataSource).ToList(), _options).AdviseAsync(sampleQueries, cancellationToken);

    /// <summary>
    /// The generic plan of a normalized statement ($1, $2 … in place of values, as pg_stat_statements
    /// keeps it), explained in a read-only transaction that is rolled back; nothing runs.
    /// </summary>
    public async Task<StatementPlan> ExplainAsync(string normalizedQuery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(normalizedQuery);
        await using var explainer = await GenericPlanExplainer.OpenAsync(DirectDataSource, cancellationToken).ConfigureAwait(false);
        var plan = await explainer.ExplainAsync(normalizedQuery, cancellationToken).ConfigureAwait(false);
        return plan.Ok ? new StatementPlan(plan.TotalCost, plan.Plan.GetRawText(), null) : new StatementPlan(0, null, plan.Error);
    }

    /// <summary>Applies the catalog (the name teams migrating from a <c>setupProductionIndexes</c> script look for); same as <see cref="ApplyAsync"/> without progress.</summary>
    public Task<IndexApplyReport> SetupProductionIndexesAsync(IndexCatalog catalog, bool dryRun = false, CancellationToken cancellationToken = default) =>
        ApplyAsync(catalog, dryRun, null, cancellationToken);
}
