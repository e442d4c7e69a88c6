using System.Globalization;
using PgOptimizer.Connections;
using PgOptimizer.Hosting;
using PgOptimizer.LoadTesting;
using PgOptimizer.Workload;

namespace PgOptimizer.Samples.Pitches;

/// <summary>
/// The demo's before/after measurement on a database: seeds the pitch platform (unless the same
/// data is there), checks the setup, goes back to the unoptimized schema and load-tests it without
/// cache, deploys the platform's index catalog, load-tests again with the two-tier cache (emptied,
/// then warmed from a sample of the workload), and finally runs the same operations on plain Npgsql.
/// </summary>
public sealed class DemoRunner(PgConnectionManager connections, Doctor doctor, Deployer deployer, LoadTestService loadTests)
{
    private const int Steps = 7;

    /// <summary>Runs the demo, reporting each step and the progress of seeding and load tests.</summary>
    public async Task<DemoReport> RunAsync(DemoRunOptions options, IProgress<DemoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var primary = connections.Primary;

        progress?.Report(new DemoStepStarted(1, Steps, $"Seeding demo data into {primary.Description}"));
        var existing = await PitchesDemo.ReadKeySpaceAsync(primary.DataSource, cancellationToken).ConfigureAwait(false);
        SeedReport? seed = null;
        if (!options.Reseed && existing is not null && existing.Seed == options.Seed.Seed && Math.Abs(existing.Scale - options.Seed.Scale) < 1e-9)
        {
            progress?.Report(new DemoNote($"demo data of scale {options.Seed.Scale.ToString(CultureInfo.InvariantCulture)}, seed {existing.Seed} is already there (use --reseed to load it again)"));
        }
        else
        {
            var seeding = progress is null ? null : new InlineProgress<SeedProgress>(p => progress.Report(new DemoSeeding(p)));
            seed = await PitchesDemo.SeedAsync(primary.DataSource, options.Seed, seeding, cancellationToken).ConfigureAwait(false);
            progress?.Report(new DemoSeeded(seed));
        }

        progress?.Report(new DemoStepStarted(2, Steps, "Checking the setup"));
        var check = await doctor.RunAsync(cancellationToken).ConfigureAwait(false);
        progress?.Report(new DemoChecked(check));
        var workload = await PitchesWorkload.LoadAsync(primary.DataSource, primary.Description, cancellationToken).ConfigureAwait(false);
        var mix = WorkloadMix.Parse(workload, null);
        var load = new LoadTestOptions { Duration = options.Duration, Concurrency = options.Concurrency, Warmup = options.Warmup, Seed = 1 };

        progress?.Report(new DemoStepStarted(3, Steps, "Back to the unoptimized schema (dropping optimization indexes of the demo tables)"));
        var dropped = await PitchesDemo.DropOptimizationIndexesAsync(primary.DataSource, cancellationToken).ConfigureAwait(false);
        progress?.Report(new DemoNote($"{dropped} index(es) dropped"));

        progress?.Report(new DemoStepStarted(4, Steps, $"Load test BEFORE: {options.Concurrency} workers for {options.Duration.TotalSeconds:F0} s, no optimization indexes, cache off"));
        var before = await PhaseAsync("before", new LoadTestPlan { Options = load, Executor = LoadTestExecutor.ToolkitWithoutCache }).ConfigureAwait(false);

        progress?.Report(new DemoStepStarted(5, Steps, "Deploying the index catalog (CREATE INDEX CONCURRENTLY)"));
        var deploy = await deployer.RunAsync(PitchesIndexes.Catalog, testOnly: false, null, cancellationToken).ConfigureAwait(false);
        progress?.Report(new DemoNote(deploy.Apply is { } applied ? $"{applied.Results.Count} index(es) built in {applied.Elapsed.TotalSeconds:F1} s" : "nothing to build"));

        progress?.Report(new DemoStepStarted(6, Steps, "Load test AFTER: same workers and duration, indexes deployed, two-tier cache on (emptied, then warmed from a sample of the workload)"));
        var after = await PhaseAsync("after", new LoadTestPlan { Options = load, Executor = LoadTestExecutor.Toolkit, ClearCache = true, CacheWarmupRequests = options.CacheWarmupRequests }).ConfigureAwait(false);

        progress?.Report(new DemoStepStarted(7, Steps, "Load test RAW: the same operations on plain Npgsql (no connection manager, no cache), for comparison"));
        var raw = await PhaseAsync("raw", new LoadTestPlan { Options = load, Executor = LoadTestExecutor.RawNpgsql }).ConfigureAwait(false);

        return new DemoReport(options.Seed.Scale, options.Concurrency, options.Duration.TotalSeconds, connections.Replicas.Count, seed, check, deploy, before, after, raw);

        async Task<DemoPhase> PhaseAsync(string name, LoadTestPlan plan)
        {
            var live = progress is null ? null : new InlineProgress<LoadTestProgress>(p => progress.Report(new DemoLoading(name, plan.Options.Duration, p)));
            var result = await loadTests.RunAsync(workload, mix, plan, live, cancellationToken).ConfigureAwait(false);
            if (result.Warmup is { } w)
            {
                progress?.Report(new DemoNote($"cache warmed with {w.Loaded} of {w.Items} distinct keys drawn from {plan.CacheWarmupRequests} sampled requests in {w.Elapsed.TotalSeconds:F1} s"));
            }

            var l = result.Report;
            progress?.Report(new DemoNote($"{name}: {l.Run.Throughput:F1} req/s, p95 {l.Run.Latency.P95Ms:F1} ms, p99 {l.Run.Latency.P99Ms:F1} ms, errors {l.Run.Errors}, " +
                $"peak connections {l.PeakBusyDatabaseConnections} busy / {l.PeakDatabaseConnections} open, writes {(l.WritesVerified ? "verified" : "NOT verified")}"));
            return new DemoPhase(name, result);
        }
    }
}
