using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>
/// Applies a plan: CREATE INDEX CONCURRENTLY one at a time in priority order, with lock_timeout and
/// retries on lock timeouts, cleanup of the INVALID index a failed concurrent build leaves, a session
/// advisory lock so that two applies never overlap, and live progress from
/// pg_stat_progress_create_index. Runs on a direct connection (not through a transaction pooler).
/// </summary>
internal partial class IndexApplier(NpgsqlDataSource dataSource, IndexingOptions options, ILogger? logger = null)
{
    private readonly ILogger? _logger = logger;

    public async Task<IndexApplyReport> ApplyAsync(IndexCatalog catalog, bool dryRun, IProgress<IndexBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var started = Stopwatch.GetTimestamp();
        await using var session = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var schemaOf = await IndexValidator.ValidateAsync(session, catalog, cancellationToken).ConfigureAwait(false);
        if (dryRun)
        {
            var dry = await IndexPlanner.PlanAsync(session, catalog, schemaOf, cancellationToken).ConfigureAwait(false);
            return new IndexApplyReport(true, dry, [], Stopwatch.GetElapsedTime(started), TimeSpan.Zero);
        }

        var waited = await LockAsync(session, cancellationToken).ConfigureAwait(false);
        try
        {
            // Plan only once the lock is held: a concurrent apply may just have built everything.
            var plan = await IndexPlanner.PlanAsync(session, catalog, schemaOf, cancellationToken).ConfigureAwait(false);
            var changes = plan.Changes.ToList();
            var results = new List<IndexApplyResult>();
            await using var build = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await ExecAsync(build, $"SET lock_timeout = {(long)options.LockTimeout.TotalMilliseconds}", cancellationToken).ConfigureAwait(false);
            await ExecAsync(build, "SET statement_timeout = 0", cancellationToken).ConfigureAwait(false);

            for (var i = 0; i < changes.Count; i++)
            {
                results.Add(await ApplyOneAsync(build, changes[i], i + 1, changes.Count, progress, cancellationToken).ConfigureAwait(false));
            }

            var analyzed = await AnalyzeExpressionTablesAsync(build, changes, results, cancellationToken).ConfigureAwait(false);
            return new IndexApplyReport(false, plan, results, Stopwatch.GetElapsedTime(started), waited) { Analyzed = analyzed };
        }
        finally
        {
            try
            {
                await ExecAsync(session, $"SELECT pg_advisory_unlock({IndexingDefaults.AdvisoryLockClass}, {IndexingDefaults.AdvisoryLockObject})", CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The session is gone, and with it the lock: nothing to release, and the original error matters more.
            }
        }
    }

    private static async Task<IReadOnlyList<string>> AnalyzeExpressionTablesAsync(NpgsqlConnection build, List<IndexAction> changes, List<IndexApplyResult> results, CancellationToken ct)
    {
        // Until ANALYZE, a condition on an index expression (to_tsvector(...) @@ q, lower(email) = $1)
        // is planned with a default selectivity, so a common term looks rare and the plan is wrong.
        var tables = changes.Zip(results)
            .Where(p => p.Second.Outcome != IndexApplyOutcome.Failed && p.First.Definition is { } d && d.Keys.Any(k => k.Expression is not null))
            .Select(p => p.First.Table)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        foreach (var table in tables)
        {
            await ExecAsync(build, $"ANALYZE {PgIdentifier.Parse(table).ToSql()}", ct).ConfigureAwait(false);
        }

        return tables;
    }

    private async Task<TimeSpan> LockAsync(NpgsqlConnection session, CancellationToken ct)
    {
        // Poll with pg_try_advisory_lock rather than wait in pg_advisory_lock: a backend blocked in
        // a statement holds a snapshot, and CREATE INDEX CONCURRENTLY in the other apply waits for
        // every snapshot older than its own, so a blocking wait here would deadlock the two
        // applies in a way the server cannot see.
        var t0 = Stopwatch.GetTimestamp();
        var logged = false;
        while (true)
        {
            await using (var cmd = new NpgsqlCommand(
                $"SELECT pg_try_advisory_lock({IndexingDefaults.AdvisoryLockClass}, {IndexingDefaults.AdvisoryLockObject})", session))
            {
                if ((bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                {
                    return logged ? Stopwatch.GetElapsedTime(t0) : TimeSpan.Zero;
                }
            }

            if (!options.WaitForOtherApply)
            {
                throw new InvalidOperationException("Another index apply is running on this database; try again when it has finished.");
            }

            if (!logged && _logger is not null)
            {
                LogWaiting(_logger);
            }

            logged = true;
            await Task.Delay(options.ProgressInterval, ct).ConfigureAwait(false);
        }
    }

    private async Task<IndexApplyResult> ApplyOneAsync(NpgsqlConnection build, IndexAction action, int number, int total, IProgress<IndexBuildProgress>? progress, CancellationToken ct)
    {
        var t0 = Stopwatch.GetTimestamp();
        var d = action.Definition!;
        var schema = PgIdentifier.Parse(action.Table).Schema!;
        var retries = 0;
        string? buildingName = null;
        try
        {
            foreach (var sql in action.Sql)
            {
                var isCreate = sql.StartsWith("CREATE", StringComparison.Ordinal);
                if (isCreate)
                {
                    buildingName = action.Kind == IndexActionKind.Rebuild ? IndexPlanner.TempName(d.Name) : d.Name;
                }
                var watch = isCreate ? new ProgressWatch(dataSource, build.ProcessID, d.Name, number, total, progress, options.ProgressInterval) : null;
                retries += await RunWithLockRetriesAsync(build, sql, isCreate ? PgIdentifier.Quote(schema, buildingName!) : null, watch, ct).ConfigureAwait(false);
                if (isCreate)
                {
                    buildingName = null; // built and valid: never drop it on a later failure (e.g. the rename)
                }
            }

            var size = await SizeAsync(build, schema, d.Name, ct).ConfigureAwait(false);
            var outcome = action.Kind switch
            {
                IndexActionKind.Rebuild => IndexApplyOutcome.Rebuilt,
                IndexActionKind.ReplaceInvalid => IndexApplyOutcome.Replaced,
                _ => IndexApplyOutcome.Created,
            };
            return new IndexApplyResult(d.Name, action.Table, action.Kind, outcome, Stopwatch.GetElapsedTime(t0), size, null, retries);
        }
        catch (PostgresException ex) when (!ct.IsCancellationRequested)
        {
            // A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: remove it.
            var cleanup = string.Empty;
            if (buildingName is not null)
            {
                try
                {
                    await ExecAsync(build, IndexDdl.DropConcurrently(schema, buildingName), CancellationToken.None).ConfigureAwait(false);
                    cleanup = $"; the invalid index {buildingName} it left was dropped";
                }
                catch (PostgresException dropEx)
                {
                    cleanup = $"; dropping the invalid index {buildingName} failed too ({dropEx.SqlState} {dropEx.MessageText}): run {IndexDdl.DropConcurrently(schema, buildingName)}";
                }
            }

            var error = $"{ex.SqlState} {ex.MessageText}{(ex.Detail is { Length: > 0 } detail ? $" ({detail})" : string.Empty)}{cleanup}";
            return new IndexApplyResult(d.Name, action.Table, action.Kind, IndexApplyOutcome.Failed, Stopwatch.GetElapsedTime(t0), 0, error, retries);
        }
    }

    /// <summary>Runs one statement, retrying lock timeouts; <paramref name="creates"/> is the index a CREATE builds.</summary>
    private async Task<int> RunWithLockRetriesAsync(NpgsqlConnection build, string sql, string? creates, ProgressWatch? watch, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using (watch?.Start(ct))
                {
                    await ExecAsync(build, sql, ct).ConfigureAwait(false);
                }

                return attempt;
            }
            catch (PostgresException ex) when (ex.SqlState == Connections.SqlStates.LockNotAvailable && attempt < options.LockRetries)
            {
                // The failed concurrent build may have left an invalid index: drop it before trying again.
                if (creates is not null)
                {
                    await ExecAsync(build, $"DROP INDEX CONCURRENTLY IF EXISTS {creates}", ct).ConfigureAwait(false);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * (1 << attempt)) * (0.5 + Random.Shared.NextDouble())), ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<long> SizeAsync(NpgsqlConnection c, string schema, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT coalesce(pg_relation_size(to_regclass($1)), 0)", c);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PgIdentifier.Quote(schema, name) });
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static async Task ExecAsync(NpgsqlConnection c, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Another index apply holds the lock on this database; waiting for it")]
    private static partial void LogWaiting(ILogger logger);

    /// <summary>Polls pg_stat_progress_create_index for the building backend while a build runs.</summary>
    private sealed class ProgressWatch(NpgsqlDataSource dataSource, int pid, string index, int number, int total, IProgress<IndexBuildProgress>? progress, TimeSpan interval)
    {
        public IAsyncDisposable Start(CancellationToken ct)
        {
            progress?.Report(new IndexBuildProgress(index, number, total, "starting", 0, 0, 0, 0));
            if (progress is null)
            {
                return new Stopper(null, Task.CompletedTask);
            }

            var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var loop = Task.Run(async () =>
            {
                try
                {
                    await using var conn = await dataSource.OpenConnectionAsync(cts.Token).ConfigureAwait(false);
                    while (!cts.IsCancellationRequested)
                    {
                        await using (var cmd = new NpgsqlCommand(
                            "SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total FROM pg_stat_progress_create_index WHERE pid = $1", conn))
                        {
                            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = pid });
                            await using var r = await cmd.ExecuteReaderAsync(cts.Token).ConfigureAwait(false);
                            if (await r.ReadAsync(cts.Token).ConfigureAwait(false))
                            {
                                progress.Report(new IndexBuildProgress(index, number, total, r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)));
                            }
                        }

                        await Task.Delay(interval, cts.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                }
                catch (NpgsqlException)
                {
                    // progress is best effort; the build's own outcome is what counts
                }
            }, CancellationToken.None);
            return new Stopper(cts, loop);
        }

        private sealed class Stopper(CancellationTokenSource? cts, Task loop) : IAsyncDisposable
        {
            public async ValueTask DisposeAsync()
            {
                if (cts is not null)
                {
                    await cts.CancelAsync().ConfigureAwait(false);
                    await loop.ConfigureAwait(false);
                    cts.Dispose();
                }
            }
        }
    }
}
