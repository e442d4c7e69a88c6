using PgOptimizer.Connections;

namespace PgOptimizer.Monitoring;

/// <summary>Turns alerts and figures into recommendations: what to do, with the numbers that show why.</summary>
internal static class Recommendations
{
    public static IReadOnlyList<Recommendation> Build(
        IReadOnlyList<Alert> alerts, ClientSnapshot client, ServerSnapshot? server, CachePerformance cache,
        MonitoringOptions options, PgConnectionManager connections, string? serverError, IReadOnlyList<string>? cacheSharedWith = null)
    {
        var list = new List<Recommendation>();
        if (serverError is not null)
        {
            list.Add(new(HealthLevel.Critical, "The database server did not answer the statistics queries.",
                Ev(("error", serverError)), "Run `pgopt doctor` to check connectivity, credentials and the server's state."));
        }

        if (cacheSharedWith is { Count: > 0 })
        {
            list.Add(new(HealthLevel.Warning, $"The cache's Redis keys are also used by the cache of another database ({string.Join(", ", cacheSharedWith)}): each may serve the other's rows.",
                Ev(("databases", string.Join(", ", cacheSharedWith))),
                "Give each database's instances their own Caching:KeyPrefix (or PGOPT_APPLICATION); if both names reach the same database, set the same Caching:DatabaseScope on both."));
        }

        foreach (var a in alerts)
        {
            if (For(a, client, server, cache, options, connections) is { } r)
            {
                list.Add(r);
            }
        }

        // slow statements deserve advice even before any alert fires
        var slowMs = options.SlowQueryThreshold.TotalMilliseconds;
        foreach (var s in client.Statements.Where(s => s.Calls >= 5 && s.MeanMs >= slowMs).OrderByDescending(s => s.TotalMs).Take(3))
        {
            var l = s.Latency();
            list.Add(new(HealthLevel.Warning, $"Statement {s.Id} averages {s.MeanMs:0.#} ms over {s.Calls} calls.",
                Ev(("statementId", s.Id), ("sql", s.Sql), ("calls", s.Calls), ("meanMs", s.MeanMs), ("p95Ms", l.P95Ms), ("totalMs", Math.Round(s.TotalMs, 1))),
                "Run `pgopt indexes advise` for an index that serves it, or cache its result (pgopt cache)."));
        }

        return list.DistinctBy(r => r.Message).OrderByDescending(r => r.Severity).ToList();
    }

    private static Recommendation? For(Alert a, ClientSnapshot client, ServerSnapshot? server, CachePerformance cache, MonitoringOptions options, PgConnectionManager connections)
    {
        var ev = new Dictionary<string, object?>(a.Evidence, StringComparer.Ordinal) { ["value"] = a.Value, ["threshold"] = a.Threshold };
        switch (a.Name)
        {
            case AlertNames.AvgQueryTime:
            case AlertNames.SlowQueryCount:
                var top = client.Statements.OrderByDescending(s => s.TotalMs).FirstOrDefault();
                if (top is not null)
                {
                    ev["topStatementId"] = top.Id;
                    ev["topStatement"] = top.Sql;
                    ev["topStatementMeanMs"] = top.MeanMs;
                }

                return new(a.Severity, a.Message, ev, "Find the missing indexes with `pgopt indexes advise` (and `pgopt top` for the statements taking the most time); cache hot reads.");
            case AlertNames.ConnectionUsage:
                var pooler = connections.Primary.Host.IsNeon && !connections.Primary.Host.IsPooler
                    ? " On Neon, connect through the -pooler host (PgBouncer) so that more clients share fewer server connections."
                    : "";
                return new(a.Severity, a.Message, ev,
                    $"Connections are held too long or the pool is too small (MaxPoolSize {connections.Primary.MaxPoolSize}): shorten transactions, avoid holding connections across awaits of other I/O, or raise MaxPoolSize within the server's max_connections.{pooler}");
            case AlertNames.ErrorRate:
                var failing = client.Statements.Where(s => s.Errors > 0).OrderByDescending(s => s.Errors).FirstOrDefault();
                if (failing is not null)
                {
                    ev["topFailingStatementId"] = failing.Id;
                    ev["topFailingStatement"] = failing.Sql;
                    ev["errors"] = failing.Errors;
                }

                return new(a.Severity, a.Message, ev, "Look at the failing statement's errors in the application log; `pgopt slow` lists recent failures with their SQLSTATE.");
            case AlertNames.CacheHitRate:
                return new(a.Severity, a.Message, ev, cache.Source == "application"
                    ? "Review the cache strategies' TTLs and warm-up; a low application hit rate sends reads to the database."
                    : connections.Primary.Host.IsNeon
                        ? "The working set does not fit in memory: choose a larger Neon compute size (more RAM and local file cache) or add indexes that read fewer pages."
                        : "The working set does not fit in shared_buffers: raise shared_buffers (about 25 % of RAM) or add indexes that read fewer pages.");
            case AlertNames.ServerConnectionUsage:
                return new(a.Severity, a.Message, ev, "Put a pooler (PgBouncer, or Neon's -pooler host) in front of the server, or lower MaxPoolSize across instances so that their sum stays below max_connections.");
            case AlertNames.TransactionAge:
                return new(a.Severity, a.Message, ev,
                    "Find it with `SELECT pid, state, xact_start, query FROM pg_stat_activity ORDER BY xact_start LIMIT 5`, end it with pg_terminate_backend(pid) if it is stuck, and set idle_in_transaction_session_timeout. Long transactions hold back VACUUM and replicas.");
            case AlertNames.BlockedSessions:
                return new(a.Severity, a.Message, ev, "Find the blockers with `SELECT pid, pg_blocking_pids(pid), query FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0`; keep transactions that take row locks short.");
            case AlertNames.Deadlocks:
                return new(a.Severity, a.Message, ev, "Take row locks in a consistent order across transactions (for example by primary key); deadlocked transactions are retried by the connection manager.");
            case AlertNames.DeadTupleRatio:
                var table = a.Subject ?? "the table";
                return new(a.Severity, a.Message, ev,
                    $"Run `VACUUM (ANALYZE) {table}` and let autovacuum visit it more often: `ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.05)`.");
            case AlertNames.ReplicationLag:
                return new(a.Severity, a.Message, ev, "Check the standby's I/O and network and long queries on it (hot_standby_feedback); reads that need fresh data should go to the primary meanwhile.");
            case AlertNames.ReplicasOutOfRotation:
                return new(a.Severity, a.Message, ev, $"Reads of {a.Subject ?? "the replicas"} go to the primary meanwhile: run `pgopt replicas` for why (lag, unreachable, circuit open) and `pgopt doctor` for the fix; raise Routing:MaxLag only if reads may be that old.");
            case AlertNames.NeonBudget:
                return new(a.Severity, a.Message, ev, "The Neon bill's forecast for the period is at or over its share of NEON_MONTHLY_BUDGET: run `pgopt cost report` for the savings in dollars and `pgopt cost quick-wins --apply` for the safe ones.");
            case AlertNames.Wraparound:
                return new(a.Severity, a.Message, ev, "Run `VACUUM (FREEZE, VERBOSE)` on the oldest tables (pg_class.relfrozenxid) and make sure no long transaction or abandoned replication slot holds the xmin back.");
            default:
                return server is null ? null : new(a.Severity, a.Message, ev, "See the evidence.");
        }
    }

    private static Dictionary<string, object?> Ev(params (string Key, object? Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
}
