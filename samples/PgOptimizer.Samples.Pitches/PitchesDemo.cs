using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Samples.Pitches;

/// <summary>How much demo data to make.</summary>
public sealed class SeedOptions
{
    /// <summary>Scale 1 ≈ 100k users, 1M pitches, 5M analytics events (≈1.5 GB). Default 1.</summary>
    public double Scale { get; set; } = 1.0;

    /// <summary>Same seed and anchor → same rows. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>The data's "now": events and pitches cluster just before it. Default 2026-01-01 UTC.</summary>
    public DateTimeOffset Anchor { get; set; } = DefaultAnchor;

    /// <summary>Steps run at once (each on its own connection). Default: processor count, at least 2.</summary>
    public int Parallelism { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Reset pg_stat_statements after loading, so the advisor sees the workload, not the load. Default true.</summary>
    public bool ResetStatementStats { get; set; } = true;

    public static readonly DateTimeOffset DefaultAnchor = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    internal void Validate()
    {
        if (!double.IsFinite(Scale) || Scale <= 0 || Scale > 100)
        {
            throw new PgOptimizerConfigurationException($"The scale {Scale.ToString(CultureInfo.InvariantCulture)} is out of range; give a number above 0 and at most 100 (1 ≈ 1.5 GB; 0.01 for a quick try).");
        }

        if (Seed < 0)
        {
            throw new PgOptimizerConfigurationException($"The seed {Seed} is negative; give 0 or more.");
        }

        if (Parallelism is < 1 or > 32)
        {
            throw new PgOptimizerConfigurationException($"The parallelism {Parallelism} is out of range; give 1 to 32.");
        }
    }
}

/// <summary>Row counts for a scale.</summary>
public sealed record DemoSizes(int Tenants, int Users, long Pitches, long Events, long Follows, long Comments, long Likes, long Messages, long Notifications, long Sessions, long Views)
{
    public static DemoSizes For(double scale)
    {
        static long N(double perScale1, double scale, long min) => Math.Max(min, (long)Math.Round(perScale1 * scale));
        return new DemoSizes(
            (int)N(1_000, scale, 2), (int)N(100_000, scale, 50), N(1_000_000, scale, 200), N(5_000_000, scale, 1_000),
            N(300_000, scale, 100), N(500_000, scale, 100), N(1_000_000, scale, 100), N(300_000, scale, 50),
            N(500_000, scale, 100), N(100_000, scale, 50), N(1_000_000, scale, 100));
    }
}

/// <summary>Progress of a seed: which step, how many of the total are done.</summary>
public readonly record struct SeedProgress(string Step, int Done, int Total);

/// <summary>What a seed did: rows per table and time taken.</summary>
public sealed record SeedReport(double Scale, int Seed, DateTimeOffset Anchor, TimeSpan Elapsed, IReadOnlyList<TableRows> Tables, IReadOnlyList<StepTiming> Steps, bool ReplacedExisting)
{
    public long TotalRows => Tables.Sum(t => t.Rows);
}

public sealed record TableRows(string Table, long Rows, long Bytes);

public sealed record StepTiming(string Step, TimeSpan Elapsed);

/// <summary>What the demo data in a database is, read back from pgopt_demo_meta.</summary>
public sealed record DemoKeySpace(int Seed, double Scale, DateTimeOffset Anchor, int Tenants, int Users, long Pitches);

/// <summary>
/// Creates the demo pitch platform's schema and loads deterministic, skewed data generated on the
/// server (no rows cross the network), steps in parallel where their dependencies allow.
/// </summary>
public static class PitchesDemo
{
    /// <summary>The demo's tables, parents first.</summary>
    public static readonly IReadOnlyList<string> Tables =
    [
        "tenants", "users", "pitches", "follows", "comments", "likes", "messages",
        "notifications", "sessions", "pitch_views", "analytics_events",
    ];

    private const string MetaTable = "pgopt_demo_meta";

    /// <summary>Creates the schema and loads the data, replacing earlier demo data (never other tables).</summary>
    /// <exception cref="PgOptimizerConfigurationException">Tables of the same names exist and are not demo data; nothing is changed.</exception>
    public static async Task<SeedReport> SeedAsync(NpgsqlDataSource dataSource, SeedOptions options, IProgress<SeedProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var sizes = DemoSizes.For(options.Scale);
        var started = Stopwatch.GetTimestamp();
        var timings = new List<StepTiming>();

        var replaced = await PrepareAsync(dataSource, cancellationToken).ConfigureAwait(false);

        var steps = DemoSql.Steps(Fill(DemoSql.Read("seed.sql"), options, sizes));
        var total = steps.Count + 4;
        var done = 0;
        void Report(string step) => progress?.Report(new SeedProgress(step, done, total));

        Report("schema");
        await TimedAsync("schema", () => ExecAsync(dataSource, DemoSql.Read("schema.sql"), cancellationToken)).ConfigureAwait(false);
        done++;

        // Run steps as their dependencies complete, at most Parallelism at once.
        var pending = steps.ToList();
        var completed = new HashSet<string>(StringComparer.Ordinal);
        var running = new Dictionary<Task, SeedStep>();
        while (pending.Count > 0 || running.Count > 0)
        {
            foreach (var step in pending.Where(s => s.After.All(completed.Contains)).ToList())
            {
                if (running.Count >= options.Parallelism)
                {
                    break;
                }

                pending.Remove(step);
                Report(step.Name);
                running[TimedAsync(step.Name, () => ExecAsync(dataSource, step.Sql, cancellationToken))] = step;
            }

            if (running.Count == 0)
            {
                throw new InvalidOperationException($"seed.sql has steps whose dependencies never complete: {string.Join(", ", pending.Select(p => p.Name))}");
            }

            var finished = await Task.WhenAny(running.Keys).ConfigureAwait(false);
            await finished.ConfigureAwait(false);
            completed.Add(running[finished].Name);
            running.Remove(finished);
            done++;
            Report(running.Values.FirstOrDefault()?.Name ?? "loading");
        }

        Report("constraints");
        await TimedAsync("constraints", () => ExecAsync(dataSource, DemoSql.Read("constraints.sql") + "\n" + DemoSql.Read("finish.sql"), cancellationToken)).ConfigureAwait(false);
        done++;

        Report("vacuum analyze");
        await TimedAsync("vacuum analyze", async () =>
        {
            await WaitForStandbyHorizonAsync(dataSource, cancellationToken).ConfigureAwait(false);
            await ExecAsync(dataSource, "VACUUM (ANALYZE) " + string.Join(", ", Tables.Select(PgIdentifier.Quote)), cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        done++;

        Report("finish");
        await using (var cmd = dataSource.CreateCommand($"INSERT INTO {MetaTable} (seed, scale, anchor, tenants, users, pitches) VALUES ($1, $2, $3, $4, $5, $6)"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = options.Seed });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (decimal)options.Scale });
            cmd.Parameters.Add(new NpgsqlParameter { Value = options.Anchor.UtcDateTime });
            cmd.Parameters.Add(new NpgsqlParameter { Value = sizes.Tenants });
            cmd.Parameters.Add(new NpgsqlParameter { Value = sizes.Users });
            cmd.Parameters.Add(new NpgsqlParameter { Value = sizes.Pitches });
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var tables = await CountRowsAsync(dataSource, cancellationToken).ConfigureAwait(false);
        if (options.ResetStatementStats)
        {
            await using var cmd = dataSource.CreateCommand(
                "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'");
            if ((long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0)
            {
                // This database only: other databases' statistics are not ours to clear.
                await ExecAsync(dataSource, "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)", cancellationToken).ConfigureAwait(false);
            }
        }

        done++;
        Report("done");
        return new SeedReport(options.Scale, options.Seed, options.Anchor, Stopwatch.GetElapsedTime(started), tables, timings, replaced);

        async Task TimedAsync(string name, Func<Task> work)
        {
            var t0 = Stopwatch.GetTimestamp();
            await work().ConfigureAwait(false);
            lock (timings)
            {
                timings.Add(new StepTiming(name, Stopwatch.GetElapsedTime(t0)));
            }
        }
    }

    /// <summary>Exact row counts and sizes of the demo tables.</summary>
    public static async Task<IReadOnlyList<TableRows>> CountRowsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var result = new List<TableRows>();
        foreach (var table in Tables)
        {
            await using var cmd = dataSource.CreateCommand($"{PgOptimizerDiagnostics.SqlMarker}SELECT count(*), pg_total_relation_size($1::regclass) FROM {PgIdentifier.Quote(table)}");
            cmd.Parameters.Add(new NpgsqlParameter { Value = table });
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            result.Add(new TableRows(table, reader.GetInt64(0), reader.GetInt64(1)));
        }

        return result;
    }

    /// <summary>Reads what demo data the database holds, or null when it holds none.</summary>
    public static async Task<DemoKeySpace?> ReadKeySpaceAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var check = dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        check.Parameters.Add(new NpgsqlParameter { Value = MetaTable });
        if (!(bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return null;
        }

        await using var cmd = dataSource.CreateCommand($"SELECT seed, scale, anchor, tenants, users, pitches FROM {MetaTable}");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new DemoKeySpace(
            reader.GetInt32(0), (double)reader.GetDecimal(1), new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero),
            reader.GetInt32(3), reader.GetInt32(4), reader.GetInt64(5));
    }

    /// <summary>Refuses foreign tables; drops earlier demo data. Returns true when demo data was replaced.</summary>
    private static async Task<bool> PrepareAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var existing = new List<string>();
        foreach (var table in Tables.Append(MetaTable))
        {
            await using var cmd = dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
            cmd.Parameters.Add(new NpgsqlParameter { Value = table });
            if ((bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                existing.Add(table);
            }
        }

        if (existing.Count == 0)
        {
            return false;
        }

        if (!existing.Contains(MetaTable))
        {
            throw new PgOptimizerConfigurationException(
                $"The database already has table(s) {string.Join(", ", existing)} that are not PgOptimizer demo data, so seeding would overwrite them. Nothing was changed. Seed into an empty database (e.g. CREATE DATABASE pgopt_demo) or one seeded by pgopt before.");
        }

        await ExecAsync(dataSource, "DROP TABLE IF EXISTS " + string.Join(", ", Tables.Append(MetaTable).Select(PgIdentifier.Quote)) + " CASCADE", ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Waits (at most <see cref="StandbyHorizonWait"/>) until every standby that sends
    /// hot_standby_feedback has reported a horizon past the load. VACUUM marks a page all-visible
    /// only when its rows are visible to every snapshot, a standby's included; run while a standby
    /// still reports a horizon from before the load (it reports every wal_receiver_status_interval,
    /// 10 s by default), it leaves the visibility map empty, and every index-only scan the catalog
    /// plans for (creator totals, trending) reads the heap instead until autovacuum comes by.
    /// </summary>
    internal static async Task WaitForStandbyHorizonAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        string mark;
        await using (var cmd = dataSource.CreateCommand("SELECT (pg_snapshot_xmax(pg_current_snapshot())::text::numeric % 4294967296)::text"))
        {
            mark = (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(StandbyHorizonWait.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            await using var cmd = dataSource.CreateCommand(
                "SELECT count(*) FROM (SELECT xmin AS x FROM pg_replication_slots UNION ALL SELECT backend_xmin FROM pg_stat_replication) h " +
                "WHERE x IS NOT NULL AND age(x) > age($1::xid)");
            cmd.Parameters.Add(new NpgsqlParameter { Value = mark, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            long behind;
            try
            {
                behind = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            catch (PostgresException)
            {
                return; // a server that hides its replication views: vacuum without waiting
            }

            if (behind == 0 || Stopwatch.GetTimestamp() > deadline)
            {
                return;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan StandbyHorizonWait = TimeSpan.FromSeconds(30);

    private static async Task ExecAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string Fill(string script, SeedOptions o, DemoSizes s)
    {
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        return script
            .Replace("{{seed}}", I(o.Seed), StringComparison.Ordinal)
            .Replace("{{anchor}}", "'" + o.Anchor.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "'", StringComparison.Ordinal)
            .Replace("{{tenants}}", I(s.Tenants), StringComparison.Ordinal)
            .Replace("{{users}}", I(s.Users), StringComparison.Ordinal)
            .Replace("{{pitches}}", I(s.Pitches), StringComparison.Ordinal)
            .Replace("{{events}}", I(s.Events), StringComparison.Ordinal)
            .Replace("{{follows}}", I(s.Follows), StringComparison.Ordinal)
            .Replace("{{comments}}", I(s.Comments), StringComparison.Ordinal)
            .Replace("{{likes}}", I(s.Likes), StringComparison.Ordinal)
            .Replace("{{messages}}", I(s.Messages), StringComparison.Ordinal)
            .Replace("{{notifications}}", I(s.Notifications), StringComparison.Ordinal)
            .Replace("{{sessions}}", I(s.Sessions), StringComparison.Ordinal)
            .Replace("{{views}}", I(s.Views), StringComparison.Ordinal);
    }

    /// <summary>
    /// Back to the unoptimized schema: drops the non-unique, non-primary indexes of the demo's own
    /// tables (the seed creates none; earlier deploys or advice did), so a "before" run is honest.
    /// </summary>
    /// <returns>How many indexes were dropped.</returns>
    public static async Task<int> DropOptimizationIndexesAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var names = new List<string>();
        await using (var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace " +
            "WHERE n.nspname = 'public' AND t.relname = ANY ($1) AND NOT x.indisprimary AND NOT x.indisunique", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Tables] });
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                names.Add(r.GetString(0));
            }
        }

        foreach (var name in names)
        {
            await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var drop = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + $"DROP INDEX CONCURRENTLY IF EXISTS {PgIdentifier.Quote("public", name)}", conn);
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return names.Count;
    }
}
