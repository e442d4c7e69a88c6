using System.Diagnostics;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Indexing;

namespace PgOptimizer.Hosting;

/// <summary>
/// A safe deployment of an index catalog: validate (connectivity, server
/// version, extensions, privileges, the space the new indexes need, replica lag), plan the index
/// catalog, apply it with CREATE INDEX CONCURRENTLY unless test-only, run the index health check.
/// Stops before changing anything when validation fails; test-only changes nothing at all.
/// </summary>
public sealed class Deployer(Doctor doctor, IndexManager indexes, PgConnectionManager connections)
{
    /// <summary>Checks the doctor reports that deploying indexes needs; the others only warn here.</summary>
    private static readonly HashSet<string> Required = new(StringComparer.Ordinal) { "connection", "server version", "create on schema" };

    /// <summary>Validates, plans and (unless <paramref name="testOnly"/>) applies <paramref name="catalog"/>, then checks index health; stops before changing anything when validation fails.</summary>
    public async Task<DeployReport> RunAsync(IndexCatalog catalog, bool testOnly, IProgress<IndexBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var started = Stopwatch.GetTimestamp();
        var steps = new List<DeployStep>();
        DeployReport Done(IndexPlan? plan = null, IndexApplyReport? apply = null, IndexHealthReport? health = null) =>
            new(testOnly, steps, plan, apply, health, Stopwatch.GetElapsedTime(started));

        // 1. validate
        var report = await doctor.RunAsync(cancellationToken).ConfigureAwait(false);
        foreach (var c in report.Checks.Where(c => c.Status != CheckStatus.Info))
        {
            var status = c.Status == CheckStatus.Error && !Required.Contains(c.Name) ? CheckStatus.Warning : c.Status;
            steps.Add(new DeployStep("validate: " + c.Name, status, c.Detail, c.Fix));
        }

        foreach (var r in report.Replicas)
        {
            var lagging = r.ReplayLagSeconds is { } s && s > Doctor.LagWarning.TotalSeconds;
            steps.Add(new DeployStep($"validate: replica lag ({r.Name})", !r.Reachable || lagging ? CheckStatus.Warning : CheckStatus.Ok,
                r.Reachable ? $"{r.ReplayLagSeconds?.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} s, {r.LagBytes ?? 0} bytes" : $"unreachable: {r.Error}",
                lagging ? "Index builds write WAL the replica must replay: let it catch up first or expect more lag during the build." : null));
        }

        if (steps.Any(s => s.Status == CheckStatus.Error))
        {
            steps.Add(new DeployStep("plan", CheckStatus.Error, "not run: validation failed; nothing was changed"));
            return Done();
        }

        // 2. plan (validates the catalog against the database before anything runs)
        IndexPlan plan;
        try
        {
            plan = await indexes.PlanAsync(catalog, cancellationToken).ConfigureAwait(false);
        }
        catch (PgOptimizerConfigurationException ex)
        {
            steps.Add(new DeployStep("plan", CheckStatus.Error, ex.Message, "Fix the catalog; nothing was changed."));
            return Done();
        }

        var changes = plan.Changes.ToList();
        steps.Add(new DeployStep("plan", CheckStatus.Ok, changes.Count == 0
            ? $"{plan.Actions.Count} catalog indexes, nothing to change"
            : $"{changes.Count} change(s): {string.Join(", ", changes.Take(8).Select(a => $"{a.Kind.ToString().ToLowerInvariant()} {a.Name}"))}{(changes.Count > 8 ? ", …" : "")}"));

        // 3. space: a concurrent build needs room for the new index (and WAL) next to the table
        var estimate = await EstimateBuildBytesAsync(changes.Select(c => c.Table).Distinct().ToList(), cancellationToken).ConfigureAwait(false);
        steps.Add(new DeployStep("validate: disk space", CheckStatus.Info,
            changes.Count == 0 ? "no index to build" : $"the builds need roughly {Bytes(estimate)} of new space (a third of the indexed tables' heap size); free space on the server is not visible over SQL: check it on the host or Neon console"));

        // 4. apply
        IndexApplyReport? apply = null;
        if (testOnly)
        {
            steps.Add(new DeployStep("apply", CheckStatus.Info, changes.Count == 0 ? "test only: nothing to apply" : $"test only: {changes.Count} change(s) not applied"));
        }
        else if (changes.Count > 0)
        {
            apply = await indexes.ApplyAsync(catalog, dryRun: false, progress, cancellationToken).ConfigureAwait(false);
            var failed = apply.Results.Where(r => r.Outcome == IndexApplyOutcome.Failed).ToList();
            steps.Add(new DeployStep("apply", failed.Count == 0 ? CheckStatus.Ok : CheckStatus.Error,
                failed.Count == 0
                    ? $"{apply.Results.Count} change(s) applied concurrently in {apply.Elapsed.TotalSeconds:F1} s{(apply.Analyzed.Count > 0 ? $"; analyzed {string.Join(", ", apply.Analyzed)} for the new expression indexes" : string.Empty)}"
                    : $"{failed.Count} of {apply.Results.Count} failed: {string.Join("; ", failed.Select(f => $"{f.Name}: {f.Error}"))}",
                failed.Count == 0 ? null : "Failed builds were cleaned up; fix the cause and run deploy again (it is idempotent)."));
        }
        else
        {
            steps.Add(new DeployStep("apply", CheckStatus.Ok, "nothing to apply"));
        }

        // 5. health
        var health = await indexes.PerformIndexHealthCheckAsync(cancellationToken).ConfigureAwait(false);
        var invalid = health.Findings.Count(f => f.Kind == IndexFindingKind.Invalid);
        steps.Add(new DeployStep("index health", invalid > 0 ? CheckStatus.Error : health.Status == HealthLevel.Healthy ? CheckStatus.Ok : CheckStatus.Warning,
            $"{health.Status.ToString().ToLowerInvariant()}: {health.Findings.Count} finding(s){(invalid > 0 ? $", {invalid} invalid index(es)" : "")}",
            invalid > 0 ? "Run `pgopt indexes health` for the DROP/REINDEX statements." : null));
        return Done(plan, apply, health);
    }

    private async Task<long> EstimateBuildBytesAsync(List<string> tables, CancellationToken ct)
    {
        if (tables.Count == 0)
        {
            return 0;
        }

        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT coalesce(sum(pg_relation_size(to_regclass(t))), 0)::bigint FROM unnest($1::text[]) t", conn);
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tables.Select(t => PgIdentifier.Parse(t).ToSql()).ToArray() });
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! / 3;
    }

    internal static string Bytes(long b) => b switch
    {
        >= 1L << 30 => $"{b / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{b / (double)(1L << 20):F1} MiB",
        _ => $"{b / 1024.0:F0} KiB",
    };
}
