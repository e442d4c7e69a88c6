using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Caching;

/// <summary>
/// Installs and removes the triggers that make commits invalidate cache entries: an AFTER INSERT OR
/// UPDATE OR DELETE row trigger calling <c>pgopt_cache_notify()</c>, which sends the table, the
/// operation and the chosen columns of the row with <c>pg_notify</c>. Idempotent and reversible;
/// nothing is changed when the table or a column does not exist.
/// </summary>
public sealed class CacheTriggers(PgConnectionManager connections, IOptions<CacheOptions> options)
{
    /// <summary>Name of the trigger installed on each table.</summary>
    public const string TriggerName = "pgopt_cache_invalidate";
    /// <summary>Name of the trigger function (one per schema).</summary>
    public const string FunctionName = "pgopt_cache_notify";

    /// <summary>Creates or replaces the trigger on <paramref name="table"/>; columns default to the primary key.</summary>
    public async Task<InstalledTrigger> InstallAsync(string table, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        var channel = options.Value.Channel;
        options.Value.Validate();
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var (schema, name, oid) = await ResolveAsync(conn, table, cancellationToken).ConfigureAwait(false);
        var existing = await ColumnsAsync(conn, oid, cancellationToken).ConfigureAwait(false);
        List<string> chosen;
        if (columns is { Count: > 0 })
        {
            var missing = columns.Where(c => !existing.Contains(c)).ToList();
            if (missing.Count > 0)
            {
                throw new PgOptimizerConfigurationException(
                    $"Table {schema}.{name} has no column {string.Join(", ", missing.Select(m => $"'{m}'"))}; its columns: {string.Join(", ", existing.Order(StringComparer.Ordinal))}.");
            }

            chosen = [.. columns.Distinct(StringComparer.Ordinal)];
        }
        else
        {
            chosen = await PrimaryKeyAsync(conn, oid, cancellationToken).ConfigureAwait(false);
            if (chosen.Count == 0)
            {
                throw new PgOptimizerConfigurationException($"Table {schema}.{name} has no primary key: name the columns to send (--columns id,...).");
            }
        }

        var function = PgIdentifier.Quote(schema, FunctionName);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + $$"""
            CREATE OR REPLACE FUNCTION {{function}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            DECLARE
              rec jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
              keys jsonb := '{}'::jsonb;
              col text;
            BEGIN
              FOREACH col IN ARRAY TG_ARGV LOOP
                keys := keys || jsonb_build_object(col, rec ->> col);
              END LOOP;
              PERFORM pg_notify('{{channel}}', jsonb_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', TG_OP, 'keys', keys)::text);
              RETURN NULL;
            END
            $fn$
            """, conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var args = string.Join(", ", chosen.Select(Literal));
        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            $"CREATE OR REPLACE TRIGGER {PgIdentifier.Quote(TriggerName)} AFTER INSERT OR UPDATE OR DELETE ON {PgIdentifier.Quote(schema, name)} " +
            $"FOR EACH ROW EXECUTE FUNCTION {function}({args})", conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new InstalledTrigger($"{schema}.{name}", chosen, channel);
    }

    /// <summary>Drops the trigger (and the function once no table uses it). False when there was none.</summary>
    public async Task<bool> RemoveAsync(string table, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var (schema, name, oid) = await ResolveAsync(conn, table, cancellationToken).ConfigureAwait(false);
        var had = (await ListAsync(conn, cancellationToken).ConfigureAwait(false)).Any(t => t.Table == $"{schema}.{name}");
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            $"DROP TRIGGER IF EXISTS {PgIdentifier.Quote(TriggerName)} ON {PgIdentifier.Quote(schema, name)}", conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = $1 AND n.nspname = $2", conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = FunctionName });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
            if ((long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
            {
                await using var drop = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + $"DROP FUNCTION IF EXISTS {PgIdentifier.Quote(schema, FunctionName)}()", conn, tx);
                await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        _ = oid;
        return had;
    }

    /// <summary>The tables with the trigger installed, with the columns they send.</summary>
    public async Task<IReadOnlyList<InstalledTrigger>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = await connections.Primary.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ListAsync(conn, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<InstalledTrigger>> ListAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT n.nspname || '.' || c.relname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE t.tgname = $1 ORDER BY 1", conn);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = TriggerName });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<InstalledTrigger>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            // tgargs: the arguments, each ending in a NUL byte
            var args = r.GetFieldValue<byte[]>(1);
            var columns = System.Text.Encoding.UTF8.GetString(args).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            list.Add(new InstalledTrigger(r.GetString(0), columns, options.Value.Channel));
        }

        return list;
    }

    private static async Task<(string Schema, string Name, uint Oid)> ResolveAsync(NpgsqlConnection conn, string table, CancellationToken ct)
    {
        var given = PgIdentifier.Parse(table).WithDefaultSchema("public"); // malformed names fail here, with the fix
        // The stored name as written first; then PostgreSQL's own reading of the text (an unquoted
        // name folds to lower case, a quoted one is kept), so Pitches, "Pitches" and public.pitches
        // find what SQL would.
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT c.oid, c.relkind::text, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE (n.nspname = $1 AND c.relname = $2) OR c.oid = to_regclass($3) ORDER BY (n.nspname = $1 AND c.relname = $2) DESC LIMIT 1", conn);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = given.Schema! });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = given.Name });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Trim() });
        NpgsqlDataReader r;
        try
        {
            r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is "42601" or "42602" or "3F000" or "42704")
        {
            throw new PgOptimizerConfigurationException($"Table {given} does not exist in this database ({ex.MessageText}); check the name (schema.table).");
        }

        await using (r)
        {
            if (!await r.ReadAsync(ct).ConfigureAwait(false))
            {
                throw new PgOptimizerConfigurationException($"Table {given} does not exist in this database; check the name (schema.table).");
            }

            var kind = r.GetString(1);
            var (schema, name) = (r.GetString(2), r.GetString(3));
            if (kind is not ("r" or "p"))
            {
                throw new PgOptimizerConfigurationException($"{schema}.{name} is not a table (relkind {kind}); triggers go on tables.");
            }

            return (schema, name, r.GetFieldValue<uint>(0));
        }
    }

    private static async Task<HashSet<string>> ColumnsAsync(NpgsqlConnection conn, uint oid, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped", conn);
        cmd.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            set.Add(r.GetString(0));
        }

        return set;
    }

    private static async Task<List<string>> PrimaryKeyAsync(NpgsqlConnection conn, uint oid, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker +
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) " +
            "WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)", conn);
        cmd.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
