using System.Globalization;
using System.Diagnostics;
using Npgsql;
using Microsoft.Extensions.Options;
using PgOptimizer.Caching;
using PgOptimizer.Connections;

namespace PgOptimizer.Hosting;

/// <summary>
/// Checks that a database and its surroundings are ready for PgOptimizer: connectivity, server
/// version, Neon and pooler detection, the extensions and privileges later commands need,
/// replicas and their lag, Redis. Read-only: it changes nothing.
/// </summary>
public sealed class Doctor(PgConnectionManager connections, RedisConnection redis, IOptions<CacheOptions>? cacheOptions)
{
    /// <summary>A doctor without the cache's settings (the default key prefix and the primary's database scope).</summary>
    public Doctor(PgConnectionManager connections, RedisConnection redis)
        : this(connections, redis, null)
    {
    }

    /// <summary>Oldest PostgreSQL major version supported.</summary>
    public const int MinimumServerVersion = 140000;

    /// <summary>Replication lag above which the doctor warns.</summary>
    public static readonly TimeSpan LagWarning = TimeSpan.FromSeconds(10);

    /// <summary>Runs every check; never throws for an unreachable server, reporting it instead.</summary>
    public async Task<DoctorReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var checks = new List<DoctorCheck>();
        var extensions = new List<ExtensionInfo>();
        ServerInfo? server = null;
        var primary = connections.Primary;

        try
        {
            var start = Stopwatch.GetTimestamp();
            await using var conn = await primary.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(start);
            server = await ReadServerAsync(conn, primary, latency, cancellationToken).ConfigureAwait(false);
            checks.Add(new DoctorCheck("connection", CheckStatus.Ok, $"connected to {primary.Description} in {latency.TotalMilliseconds:F0} ms as {server.User}{(server.IsSuperuser ? " (superuser)" : string.Empty)}"));
            checks.Add(server.VersionNumber >= MinimumServerVersion
                ? new DoctorCheck("server version", CheckStatus.Ok, server.Version)
                : new DoctorCheck("server version", CheckStatus.Error, $"{server.Version} is older than PostgreSQL 14", "Upgrade the server to PostgreSQL 14 or newer."));
            checks.Add(new DoctorCheck("platform", CheckStatus.Info,
                server.IsNeon
                    ? $"Neon{(server.NeonEndpointId is null ? string.Empty : $" endpoint {server.NeonEndpointId}")}, {(server.IsPooler ? "pooled (PgBouncer, transaction mode)" : "direct")} connection"
                    : $"self-managed PostgreSQL, {(server.IsPooler ? "pooled" : "direct")} connection"));
            if (server.IsPooler)
            {
                checks.Add(new DoctorCheck("pooler", CheckStatus.Warning,
                    "the connection goes through PgBouncer in transaction mode: automatic prepared statements are off, and LISTEN/NOTIFY cache invalidation and session advisory locks (index apply) will not work through it",
                    "Also configure the direct endpoint (the host without -pooler) for LISTEN and index builds."));
            }

            extensions.AddRange(await ReadExtensionsAsync(conn, cancellationToken).ConfigureAwait(false));
            checks.AddRange(CheckExtensions(extensions, server));
            checks.AddRange(await CheckPrivilegesAsync(conn, server, cancellationToken).ConfigureAwait(false));
            checks.Add(PlannerCosts(await ReadPlannerCostsAsync(conn, cancellationToken).ConfigureAwait(false), server));
            checks.Add(ReplicationSlots(await ReadInactiveSlotsAsync(conn, cancellationToken).ConfigureAwait(false)));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            checks.Add(new DoctorCheck("connection", CheckStatus.Error, $"cannot connect to {primary.Description}: {Message(ex)}",
                ConnectFix(ex, primary)));
        }

        var replicas = await CheckReplicasAsync(checks, server is not null, cancellationToken).ConfigureAwait(false);
        var redisInfo = await CheckRedisAsync(checks, cancellationToken).ConfigureAwait(false);
        return new DoctorReport(server, extensions, replicas, redisInfo, checks);
    }

    private static async Task<ServerInfo> ReadServerAsync(NpgsqlConnection conn, PgEndpoint endpoint, TimeSpan latency, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT version(), current_setting('server_version_num')::int, current_database(), current_user, " +
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), " +
            "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'neon') OR current_setting('neon.timeline_id', true) IS NOT NULL", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        var version = r.GetString(0);
        var comma = version.IndexOf(',', StringComparison.Ordinal);
        return new ServerInfo(
            endpoint.Description,
            comma > 0 ? version[..comma] : version,
            r.GetInt32(1),
            r.GetString(2),
            r.GetString(3),
            r.GetBoolean(4),
            endpoint.Host.IsNeon || r.GetBoolean(5),
            endpoint.Host.IsPooler,
            endpoint.Host.EndpointId,
            latency);
    }

    private static async Task<IReadOnlyList<ExtensionInfo>> ReadExtensionsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT n.name, a.name IS NOT NULL, e.extname IS NOT NULL, e.extversion, " +
            "       CASE WHEN n.name = 'pg_stat_statements' THEN current_setting('shared_preload_libraries') ~ 'pg_stat_statements' END " +
            "FROM unnest(ARRAY['pg_stat_statements', 'hypopg', 'neon']) AS n(name) " +
            "LEFT JOIN pg_available_extensions a ON a.name = n.name " +
            "LEFT JOIN pg_extension e ON e.extname = n.name ORDER BY 1", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ExtensionInfo>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new ExtensionInfo(r.GetString(0), r.GetBoolean(1), r.GetBoolean(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetBoolean(4)));
        }

        return list;
    }

    private static IEnumerable<DoctorCheck> CheckExtensions(IReadOnlyList<ExtensionInfo> extensions, ServerInfo server)
    {
        var pss = extensions.First(e => e.Name == "pg_stat_statements");
        if (pss.Installed && (pss.Preloaded == true || server.IsNeon))
        {
            yield return new DoctorCheck("pg_stat_statements", CheckStatus.Ok, $"installed (version {pss.Version}) and loaded");
        }
        else if (!pss.Available)
        {
            yield return new DoctorCheck("pg_stat_statements", CheckStatus.Error, "not available on this server",
                "Install the PostgreSQL contrib package for this server version (Debian: postgresql-15 ships it).");
        }
        else if (pss.Preloaded == false && !server.IsNeon)
        {
            yield return new DoctorCheck("pg_stat_statements", CheckStatus.Error, "not in shared_preload_libraries, so it records nothing",
                "Add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart the server, then run CREATE EXTENSION pg_stat_statements;");
        }
        else
        {
            yield return new DoctorCheck("pg_stat_statements", CheckStatus.Error, "available but not installed in this database",
                "Run: CREATE EXTENSION pg_stat_statements;");
        }

        var hypopg = extensions.First(e => e.Name == "hypopg");
        if (hypopg.Installed)
        {
            yield return new DoctorCheck("hypopg", CheckStatus.Ok, $"installed (version {hypopg.Version})");
        }
        else if (hypopg.Available)
        {
            yield return new DoctorCheck("hypopg", CheckStatus.Warning, "available but not installed; the index advisor needs it for what-if costs",
                "Run: CREATE EXTENSION hypopg;");
        }
        else
        {
            yield return new DoctorCheck("hypopg", CheckStatus.Warning, "not available; the index advisor needs it for what-if costs",
                "Install the hypopg package for this server (Debian: postgresql-15-hypopg), then CREATE EXTENSION hypopg;");
        }
    }

    private static async Task<IEnumerable<DoctorCheck>> CheckPrivilegesAsync(NpgsqlConnection conn, ServerInfo server, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT pg_has_role(current_user, 'pg_monitor', 'USAGE'), pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), " +
            "has_schema_privilege(current_schema(), 'CREATE'), current_schema(), has_database_privilege(current_database(), 'CREATE')", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        var monitor = r.GetBoolean(0) || server.IsSuperuser;
        var readStats = r.GetBoolean(1) || server.IsSuperuser;
        var createSchema = r.GetBoolean(2);
        var schema = r.IsDBNull(3) ? "(none)" : r.GetString(3);
        var list = new List<DoctorCheck>
        {
            monitor
                ? new DoctorCheck("pg_monitor", CheckStatus.Ok, server.IsSuperuser ? "superuser" : $"{server.User} is a member of pg_monitor")
                : new DoctorCheck("pg_monitor", CheckStatus.Error, $"{server.User} is not a member of pg_monitor: monitoring cannot read other sessions or all statements",
                    $"Run as an administrator: GRANT pg_monitor TO \"{server.User.Replace("\"", "\"\"", StringComparison.Ordinal)}\";"),
            createSchema
                ? new DoctorCheck("create on schema", CheckStatus.Ok, $"{server.User} may create objects in schema {schema}")
                : new DoctorCheck("create on schema", CheckStatus.Error, $"{server.User} may not create objects in schema {schema} (needed for indexes-as-code bookkeeping and cache triggers)",
                    $"Run as an administrator: GRANT CREATE ON SCHEMA \"{schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\" TO \"{server.User.Replace("\"", "\"\"", StringComparison.Ordinal)}\";"),
        };
        if (!readStats && monitor)
        {
            list.Add(new DoctorCheck("pg_read_all_stats", CheckStatus.Warning, "query texts of other roles are hidden", "GRANT pg_read_all_stats TO the role."));
        }

        return list;
    }

    /// <summary>A replication slot no consumer is connected to, and what it holds back.</summary>
    internal readonly record struct InactiveSlot(string Name, string Type, long? RetainedWalBytes, int? XminAge);

    private static async Task<IReadOnlyList<InactiveSlot>> ReadInactiveSlotsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT slot_name::text, slot_type, " +
            "CASE WHEN NOT pg_is_in_recovery() AND restart_lsn IS NOT NULL THEN pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END, " +
            "greatest(age(xmin), age(catalog_xmin)) FROM pg_replication_slots WHERE NOT active ORDER BY 1", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<InactiveSlot>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new InactiveSlot(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt32(3)));
        }

        return list;
    }

    /// <summary>
    /// A slot whose consumer has gone keeps every WAL segment since its position (the disk fills)
    /// and, with hot_standby_feedback or logical decoding, the oldest snapshot it saw: VACUUM can
    /// then neither remove dead rows nor mark pages all-visible, so index-only scans read the heap.
    /// </summary>
    internal static DoctorCheck ReplicationSlots(IReadOnlyList<InactiveSlot> inactive)
    {
        const string Name = "replication slots";
        if (inactive.Count == 0)
        {
            return new DoctorCheck(Name, CheckStatus.Ok, "none inactive");
        }

        var details = inactive.Select(s =>
        {
            var held = new List<string>();
            if (s.RetainedWalBytes is { } wal)
            {
                held.Add($"keeps {Deployer.Bytes(wal)} of WAL");
            }

            if (s.XminAge is { } age)
            {
                held.Add(string.Create(CultureInfo.InvariantCulture, $"holds VACUUM back by {age:N0} transactions"));
            }

            return $"{s.Name} ({s.Type}){(held.Count > 0 ? " " + string.Join(" and ", held) : string.Empty)}";
        });
        var drops = string.Join(" ", inactive.Select(s => $"SELECT pg_drop_replication_slot('{s.Name.Replace("'", "''", StringComparison.Ordinal)}');"));
        return new DoctorCheck(Name, CheckStatus.Warning,
            $"{inactive.Count} inactive: {string.Join("; ", details)}. Nothing consumes them: the WAL they keep grows, and the snapshot they hold keeps VACUUM from removing dead rows and marking pages all-visible",
            $"Restart the standby or subscriber that uses it; if it is gone for good: {drops}");
    }

    /// <summary>Block reads below which a database's share of reads from memory says nothing yet.</summary>
    internal const long MinimumBlockReads = 10_000;

    /// <summary>The planner's page costs and what the database's reads say about its storage.</summary>
    internal readonly record struct PlannerCostReading(double RandomPageCost, double SeqPageCost, long BlocksHit, long BlocksRead, long DatabaseBytes, long EffectiveCacheBytes);

    private static async Task<PlannerCostReading> ReadPlannerCostsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT current_setting('random_page_cost')::float8, current_setting('seq_page_cost')::float8, " +
            "coalesce(d.blks_hit, 0), coalesce(d.blks_read, 0), pg_database_size(current_database()), pg_size_bytes(current_setting('effective_cache_size')) " +
            "FROM (SELECT 1) AS one LEFT JOIN pg_stat_database d ON d.datname = current_database()", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new PlannerCostReading(r.GetDouble(0), r.GetDouble(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5));
    }

    /// <summary>
    /// random_page_cost at a spinning disk's value (4× a sequential read, the default) on data read
    /// from memory, SSD or Neon's storage makes index scans look dearer than they are. Prepared
    /// statements suffer most: the generic plan PostgreSQL settles on after five executions is costed
    /// for an average key, so for a frequent key it may sort every matching row of a bitmap scan
    /// instead of reading the first few from an index in order.
    /// </summary>
    internal static DoctorCheck PlannerCosts(PlannerCostReading costs, ServerInfo server)
    {
        const string Name = "planner costs";
        var ratio = costs.SeqPageCost > 0 ? costs.RandomPageCost / costs.SeqPageCost : costs.RandomPageCost;
        var lookups = costs.BlocksHit + costs.BlocksRead;
        double? fromMemory = lookups >= MinimumBlockReads ? (double)costs.BlocksHit / lookups : null;
        var setting = string.Create(CultureInfo.InvariantCulture, $"random_page_cost {costs.RandomPageCost:0.##} against seq_page_cost {costs.SeqPageCost:0.##}");
        var reads = fromMemory is { } share
            ? string.Create(CultureInfo.InvariantCulture, $"{share * 100:0.0} % of this database's block reads came from shared buffers")
            : $"the database ({Deployer.Bytes(costs.DatabaseBytes)}) fits in effective_cache_size ({Deployer.Bytes(costs.EffectiveCacheBytes)})";
        if (ratio < 2)
        {
            return new DoctorCheck(Name, CheckStatus.Ok, $"{setting}: random reads costed close to sequential ones, as on SSD or in memory");
        }

        var cached = fromMemory is { } s ? s >= 0.99 : costs.DatabaseBytes <= costs.EffectiveCacheBytes;
        if (!cached && !server.IsNeon)
        {
            return new DoctorCheck(Name, CheckStatus.Info,
                $"{setting}, right for disks that are slow to read at random; {(fromMemory is { } m ? string.Create(CultureInfo.InvariantCulture, $"{m * 100:0.0} % of block reads came from shared buffers") : "too few reads yet to judge the storage")}",
                "On SSD storage, 1.1 plans index scans better: ALTER DATABASE … SET random_page_cost = 1.1.");
        }

        return new DoctorCheck(Name, CheckStatus.Warning,
            $"{setting} ({ratio:0.#}×, a spinning disk's cost) while {(server.IsNeon ? "Neon serves pages from memory and its own storage" : reads)}: " +
            "index scans look dearer than they are, and a prepared statement's generic plan (PostgreSQL's choice after five executions, costed for an average key) may sort every row of a frequent key instead of reading the first few from an index in order",
            $"ALTER DATABASE {Connections.PgIdentifier.Quote(server.Database)} SET random_page_cost = 1.1; (new sessions plan with it; ALTER ROLE … SET limits it to one application's role)");
    }

    private async Task<IReadOnlyList<ReplicaInfo>> CheckReplicasAsync(List<DoctorCheck> checks, bool primaryUp, CancellationToken ct)
    {
        var result = new List<ReplicaInfo>();
        var standbys = new List<(string App, string Client, long Bytes, double? Seconds)>();
        if (primaryUp)
        {
            try
            {
                await using var cmd = connections.Primary.DataSource.CreateCommand(
                    Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT coalesce(application_name, ''), coalesce(client_addr::text, 'local'), coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint, extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication");
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    standbys.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetDouble(3)));
                }
            }
            catch (PostgresException)
            {
                // Not allowed to read pg_stat_replication: the replica's own view still tells.
            }
        }

        // The one lag probe that routing and monitoring read too.
        await connections.RefreshLagAsync(ct).ConfigureAwait(false);
        foreach (var replica in connections.Replicas)
        {
            var lag = replica.Lag;
            if (lag is null || lag.Error is not null)
            {
                var why = lag?.Error ?? "no answer";
                var notStandby = why.StartsWith("not a standby", StringComparison.Ordinal);
                result.Add(new ReplicaInfo(replica.Name, replica.Description, notStandby, notStandby ? false : null, null, null, why));
                checks.Add(notStandby
                    ? new DoctorCheck(replica.Name, CheckStatus.Error, $"{replica.Description} is not in recovery: it is a primary, not a replica",
                        "Point the replica setting at a standby (pg_is_in_recovery() = true), or remove it.")
                    : new DoctorCheck(replica.Name, CheckStatus.Warning, $"cannot reach {replica.Description}: {why}; reads will fall back to the primary",
                        "Check that the replica runs and accepts connections from here with these credentials."));
                continue;
            }

            result.Add(new ReplicaInfo(replica.Name, replica.Description, true, true, lag.Seconds, lag.Bytes, null));
            checks.Add(lag.Seconds is { } s && s > LagWarning.TotalSeconds
                ? new DoctorCheck(replica.Name, CheckStatus.Warning, $"{replica.Description} lags {s:F1} s ({lag.Bytes ?? 0} bytes) behind", "Check the standby's load and network; reads routed to it see old data.")
                : new DoctorCheck(replica.Name, CheckStatus.Ok, $"{replica.Description} streaming, lag {lag.Seconds ?? 0:F2} s / {lag.Bytes ?? 0} bytes"));
        }

        if (connections.Replicas.Count == 0)
        {
            checks.Add(new DoctorCheck("replicas", CheckStatus.Info,
                standbys.Count == 0 ? "none configured, none streaming from the primary" : $"none configured; {standbys.Count} standby(s) stream from the primary ({string.Join(", ", standbys.Select(s => s.App))})",
                standbys.Count == 0 ? null : "Set PGOPT_REPLICA_CONNECTIONS (or --replica) to route reads to them."));
        }

        return result;
    }

    private async Task<RedisInfo> CheckRedisAsync(List<DoctorCheck> checks, CancellationToken ct)
    {
        if (!redis.IsConfigured)
        {
            checks.Add(new DoctorCheck("redis", CheckStatus.Info, "not configured: caching and cross-instance metrics stay in this process",
                "Set REDIS_URL (redis://host:6379/0) to share the cache and metrics between instances."));
            return new RedisInfo(false, null, false, null, null);
        }

        var ping = await redis.PingAsync(ct).ConfigureAwait(false);
        if (ping is null)
        {
            checks.Add(new DoctorCheck("redis", CheckStatus.Warning, $"{redis.Description} is not reachable; PgOptimizer keeps working with its in-memory tier only",
                "Start Redis or correct REDIS_URL."));
            return new RedisInfo(true, redis.Description, false, null, null);
        }

        checks.Add(new DoctorCheck("redis", CheckStatus.Ok, $"{redis.Description} answers in {ping.Latency.TotalMilliseconds:F2} ms (Redis {ping.ServerVersion})"));
        await CheckCacheScopeAsync(checks, ct).ConfigureAwait(false);
        return new RedisInfo(true, redis.Description, true, Math.Round(ping.Latency.TotalMilliseconds, 3), ping.ServerVersion);
    }

    /// <summary>Whether caches of other databases used this database's cache key prefix lately (see <see cref="SmartCache.DatabasesSharingKeyPrefix"/>).</summary>
    private async Task CheckCacheScopeAsync(List<DoctorCheck> checks, CancellationToken ct)
    {
        var options = cacheOptions?.Value;
        var prefix = options?.KeyPrefix ?? CacheDefaults.KeyPrefix(redis.ApplicationName);
        var scope = options?.DatabaseScope ?? DatabaseScope.Of(connections.Primary.DataSource.ConnectionString);
        if (scope is null || await redis.TryGetDatabaseAsync(ct).ConfigureAwait(false) is not { } db)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        if (await DatabaseScopeRegistry.ReadRecentAsync(db, prefix, now).ConfigureAwait(false) is not { } recent)
        {
            return; // Redis answered the ping; a failure now shows in the redis check next time
        }

        var others = recent.Where(r => r.Scope != scope).ToList();
        if (others.Count > 0)
        {
            checks.Add(new DoctorCheck("cache-prefix", CheckStatus.Warning,
                $"the cache key prefix {prefix} was used within the last hour by the cache of {string.Join(", ", others.Select(o => $"{o.Scope} ({Ago(now - o.Seen)} ago)"))}, not only this database's ({scope}): each may serve the other's rows",
                "Give each database's instances their own Caching:KeyPrefix (or PGOPT_APPLICATION); if both names reach the same database, set the same Caching:DatabaseScope on both."));
        }
        else
        {
            checks.Add(new DoctorCheck("cache-prefix", CheckStatus.Ok, $"the cache key prefix {prefix} is this database's alone ({scope})"));
        }
    }

    private static string Ago(TimeSpan t) => t.TotalMinutes >= 1 ? $"{t.TotalMinutes:F0} min" : $"{Math.Max(0, t.TotalSeconds):F0} s";

    private static string Message(Exception ex) => ex switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: { } inner } => $"{ex.Message} ({inner.Message})",
        _ => ex.Message,
    };

    private static string ConnectFix(Exception ex, PgEndpoint endpoint) => ex switch
    {
        PostgresException { SqlState: "28P01" or "28000" } => "Check the user name and password in the connection string.",
        PostgresException { SqlState: "3D000" } => "The database does not exist: create it or correct the database name.",
        _ when endpoint.Host.IsNeon => "Check the host name and that the Neon project exists; a suspended compute wakes on connect (allow up to 30 s).",
        _ => $"Check that the server at {endpoint.Description} runs and accepts TCP connections (listen_addresses, pg_hba.conf, firewall).",
    };
}
