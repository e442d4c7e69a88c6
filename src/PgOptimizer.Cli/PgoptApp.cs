using PgOptimizer.Cli.Commands;
using PgOptimizer.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli;

/// <summary>The pgopt command tree. Exit codes: 0 ok, 1 findings or operational failure, 2 bad input.</summary>
public static class PgoptApp
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        if (Console.IsOutputRedirected)
        {
            // Not a terminal: Spectre would assume 80 columns and fold every table. Use $COLUMNS or a wide default.
            AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns >= 40 ? columns : 160;
        }

        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("pgopt");
            config.SetApplicationVersion(typeof(PgoptApp).Assembly.GetName().Version?.ToString(3) ?? "0.1.0");
            config.UseStrictParsing();
            config.SetExceptionHandler((ex, _) => ExitCodes.Report(ex));

            config.AddCommand<DoctorCommand>("doctor")
                .WithDescription("Check the database, replicas and Redis are ready for PgOptimizer; say how to fix what is not.")
                .WithExample("doctor")
                .WithExample("doctor", "--json");
            config.AddCommand<SeedCommand>("seed")
                .WithDescription("Create the demo pitch platform's schema and load deterministic, skewed data.")
                .WithExample("seed", "--scale", "0.1");
            config.AddBranch("workload", w =>
            {
                w.SetDescription("Replay the demo application's workload.");
                w.AddCommand<WorkloadRunCommand>("run")
                    .WithDescription("Run the demo workload's mix for a while (fills pg_stat_statements for the advisor).")
                    .WithExample("workload", "run", "--duration", "30s");
                w.AddCommand<WorkloadListCommand>("list")
                    .WithDescription("List the demo workload's operations, their SQL and default mix.");
            });
            config.AddBranch("indexes", ix =>
            {
                ix.SetDescription("Indexes as code: plan, apply and inspect an index catalog.");
                ix.AddCommand<IndexesPlanCommand>("plan")
                    .WithDescription("Compare the catalog with the live database: what to create, rebuild or replace; what is equivalent or unmanaged.");
                ix.AddCommand<IndexesApplyCommand>("apply")
                    .WithDescription("Build the missing indexes with CREATE INDEX CONCURRENTLY, in priority order, safely (--dry-run prints the SQL).")
                    .WithExample("indexes", "apply", "--dry-run");
                ix.AddCommand<IndexesHealthCommand>("health")
                    .WithDescription("Invalid, duplicate, redundant, unused and bloated indexes, heavy sequential scans, unindexed foreign keys, workload coverage, index-only scans that still read the table, updates that are not HOT.")
                    .WithExample("indexes", "health", "--fail-on", "warning");
                ix.AddCommand<IndexesAdviseCommand>("advise")
                    .WithDescription("Recommend indexes for the workload in pg_stat_statements, costed with HypoPG; every query gets a verdict.")
                    .WithExample("indexes", "advise", "--json")
                    .WithExample("indexes", "advise", "--apply");
                ix.AddCommand<IndexesCatalogCommand>("catalog")
                    .WithDescription("Print the catalog as JSON (the demo's by default), to edit and pass back with --catalog.");
            });
            config.AddCommand<DeployCommand>("deploy")
                .WithDescription("Validate the database (connectivity, version, extensions, privileges, space, replica lag), plan the index catalog, apply it concurrently, check index health; exit 1 on any failure.")
                .WithExample("deploy", "--test-only")
                .WithExample("deploy", "--catalog", "indexes.json");
            config.AddCommand<LoadTestCommand>("loadtest")
                .WithDescription("The demo workload under load: open loop at a fixed rate (--rps, coordinated omission corrected) or closed loop (--concurrency); --raw for plain Npgsql; Total Requests, Success Rate, Average/P95/P99 Response Time and Error Rate, per-operation table, peak connections, writes checked against the database.")
                .WithExample("loadtest", "--rps", "2000", "--duration", "30s")
                .WithExample("loadtest", "--concurrency", "64", "--raw", "--json");
            config.AddCommand<ReplicasCommand>("replicas")
                .WithDescription("Each endpoint's routing state (in rotation, lagging, unreachable, circuit open), lag in seconds and bytes, and the share of commands the application instances sent it. --watch to follow a load.");
            config.AddCommand<TopCommand>("top")
                .WithDescription("Live: the statements that took the most time in the last interval, with commit, cache, deadlock, connection and replica-lag figures.")
                .WithExample("top", "--interval", "5s")
                .WithExample("top", "--json", "--count", "3");
            config.AddCommand<MetricsCommand>("metrics")
                .WithDescription("One scrape: pools, query latency of all application instances, circuits, server, replication, tables and alerts as Prometheus text or JSON.")
                .WithExample("metrics", "--format", "prometheus")
                .WithExample("metrics", "--format", "json", "--interval", "5s");
            config.AddCommand<HealthCommand>("health")
                .WithDescription("Database health: connections, query performance of all application instances, cache, alerts, recommendations.")
                .WithExample("health")
                .WithExample("health", "--watch", "--interval", "15s")
                .WithExample("health", "--json", "--fail-on", "critical");
            config.AddCommand<SlowCommand>("slow")
                .WithDescription("Recent slow queries of all application instances (normalized SQL, never parameter values).")
                .WithExample("slow", "--limit", "50");
            config.AddBranch("cache", c =>
            {
                c.SetDescription("The two-tier cache: statistics, invalidation, database triggers.");
                c.AddCommand<CacheStatsCommand>("stats")
                    .WithDescription("Per strategy: memory and Redis hits, misses, stale values served, evictions, compression, factory latency, keys in Redis — of every application instance.");
                c.AddCommand<CacheInvalidateCommand>("invalidate")
                    .WithDescription("Invalidate tags (or clear strategies) on every application instance.")
                    .WithExample("cache", "invalidate", "--tag", "pitch:42");
                c.AddCommand<CacheTriggersCommand>("triggers")
                    .WithDescription("install|remove|list the triggers that make commits invalidate cache entries (idempotent, reversible).")
                    .WithExample("cache", "triggers", "install", "--table", "pitches")
                    .WithExample("cache", "triggers", "install", "--table", "comments", "--columns", "id,pitch_id");
            });
            config.AddBranch("cost", c =>
            {
                c.SetDescription("Neon cost: the month's bill by what is billed, the budget and its forecast, and what to do about both in dollars.");
                c.AddCommand<CostReportCommand>("report")
                    .WithDescription("Compute, branch, storage and query savings with their evidence, arithmetic and exact API call or SQL; budget and forecast; the action plan. Without --project: what the connected PostgreSQL's workload would cost on Neon.")
                    .WithExample("cost", "report", "--project", "quiet-river-104857")
                    .WithExample("cost", "report", "--json", "--markdown", "cost.md");
                c.AddCommand<CostBudgetCommand>("budget")
                    .WithDescription("Month to date and the forecast to the period's end against $NEON_MONTHLY_BUDGET; exit 1 at 80 % or more.")
                    .WithExample("cost", "budget", "--budget", "300");
                c.AddCommand<CostQuickWinsCommand>("quick-wins")
                    .WithDescription("The safe, reversible savings (scale development computes to zero, lower autoscaling minimums to the observed peak, give preview branches an expiry): each call and its saving; --apply makes them and records how to undo each.")
                    .WithExample("cost", "quick-wins")
                    .WithExample("cost", "quick-wins", "--apply");
            });
            config.AddCommand<DashboardCommand>("dashboard")
                .WithDescription("The web dashboard: health and alerts, queries, indexes, cache, replicas, cost and connections of every application instance, with live charts; on 127.0.0.1 unless --bind (then --token), read-only unless --allow-actions.")
                .WithExample("dashboard")
                .WithExample("dashboard", "--bind", "0.0.0.0", "--token", "s3cret");
            config.AddCommand<DemoCommand>("demo")
                .WithDescription("Start local PostgreSQL (primary + replica) and Redis, seed the demo data, load test before and after deploying the index catalog and the cache, print and write the before/after table.")
                .WithExample("demo")
                .WithExample("demo", "--scale", "0.1");
        });

        return await app.RunAsync(args, cts.Token).ConfigureAwait(false);
    }
}
