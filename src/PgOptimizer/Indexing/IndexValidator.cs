using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>
/// Checks every catalog definition against the database before anything runs: tables exist and
/// are not partitioned, columns exist, the method and operator classes exist, expressions and
/// predicates parse and type-check (in a read-only transaction that is rolled back), and names do
/// not collide with other relations. Any problem refuses the whole run.
/// </summary>
internal static class IndexValidator
{
    /// <summary>Returns schema per catalog table name.</summary>
    /// <exception cref="PgOptimizerConfigurationException">One or more definitions are wrong; all are listed.</exception>
    public static async Task<IReadOnlyDictionary<string, string>> ValidateAsync(NpgsqlConnection connection, IndexCatalog catalog, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(catalog);
        var problems = new List<string>();
        var schemaOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var columnsOf = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);

        foreach (var table in catalog.Indexes.Select(d => d.Table).Distinct(StringComparer.Ordinal))
        {
            await using var cmd = new NpgsqlCommand(
                Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT n.nspname, c.relkind::text, ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) " +
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)", connection);
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PgIdentifier.Parse(table).ToSql() });
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                problems.Add($"table {table} does not exist (indexes {string.Join(", ", catalog.Indexes.Where(d => d.Table == table).Select(d => d.Name))})");
                continue;
            }

            var kind = r.GetString(1);
            if (kind == "p")
            {
                problems.Add($"table {table} is partitioned: building a concurrent index on it needs one build per partition and ATTACH, which apply does not do yet; create those indexes per partition in the catalog");
                continue;
            }

            if (kind is not ("r" or "m"))
            {
                problems.Add($"{table} is not a table (relkind {kind})");
                continue;
            }

            schemaOf[table] = r.GetString(0);
            columnsOf[table] = new HashSet<string>(r.GetFieldValue<string[]>(2), StringComparer.Ordinal);
        }

        var methods = await StringsAsync(connection, "SELECT amname::text FROM pg_am WHERE amtype = 'i'", cancellationToken).ConfigureAwait(false);
        foreach (var d in catalog.Indexes)
        {
            var method = d.Method.ToString().ToLowerInvariant();
            if (!methods.Contains(method))
            {
                problems.Add($"{d.Name}: the server has no {method} index method");
            }

            if (!columnsOf.TryGetValue(d.Table, out var columns))
            {
                continue;
            }

            foreach (var c in d.Keys.Where(k => k.Column is not null).Select(k => k.Column!).Concat(d.Include))
            {
                if (!columns.Contains(c))
                {
                    problems.Add($"{d.Name}: table {d.Table} has no column \"{c}\"");
                }
            }

            foreach (var opclass in d.Keys.Where(k => k.OpClass is not null).Select(k => k.OpClass!))
            {
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_opclass o JOIN pg_am a ON a.oid = o.opcmethod WHERE o.opcname = $1 AND a.amname = $2", connection);
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = opclass });
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = method });
                if ((long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
                {
                    problems.Add($"{d.Name}: there is no operator class {opclass} for {method}");
                }
            }

            await using (var cmd = new NpgsqlCommand(
                "SELECT c.relkind::text, t.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
                "LEFT JOIN pg_index x ON x.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = x.indrelid WHERE c.relname = $1 AND n.nspname = $2", connection))
            {
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = d.Name });
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = d.SchemaName ?? schemaOf[d.Table] });
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var kind = r.GetString(0);
                    if (kind != "i")
                    {
                        problems.Add($"{d.Name}: the name is taken by a relation that is not an index (relkind {kind})");
                    }
                    else if (!r.IsDBNull(1) && r.GetString(1) != d.TableName)
                    {
                        problems.Add($"{d.Name}: the name is taken by an index on table {r.GetString(1)}");
                    }
                }
            }

            var expressions = d.Keys.Where(k => k.Expression is not null).Select(k => k.Expression!).ToList();
            if (expressions.Count > 0 || !string.IsNullOrWhiteSpace(d.Where))
            {
                var probe = $"{Diagnostics.PgOptimizerDiagnostics.SqlMarker}SELECT {(expressions.Count > 0 ? string.Join(", ", expressions.Select(e => "(" + e + ")")) : "1")} FROM {PgIdentifier.Quote(d.SchemaName, d.TableName)}" +
                            (string.IsNullOrWhiteSpace(d.Where) ? string.Empty : $" WHERE {d.Where}") + " LIMIT 0";
                await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await using (var ro = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, tx))
                    {
                        await ro.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await using var cmd = new NpgsqlCommand(probe, connection, tx);
                    await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException ex)
                {
                    problems.Add($"{d.Name}: the expression or WHERE predicate does not work on {d.Table}: {ex.SqlState} {ex.MessageText}");
                }
                finally
                {
                    await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new PgOptimizerConfigurationException($"The index catalog does not fit the database; nothing was changed. {problems.Count} problem(s): " + string.Join("; ", problems) + ".");
        }

        return schemaOf;
    }

    private static async Task<HashSet<string>> StringsAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            set.Add(r.GetString(0));
        }

        return set;
    }
}
