using Npgsql;

namespace PgOptimizer.Indexing;

/// <summary>Reads the live indexes of a database.</summary>
internal static class IndexInspector
{
    private const string Sql = Diagnostics.PgOptimizerDiagnostics.SqlMarker + """
        SELECT n.nspname, t.relname, i.relname, am.amname,
               x.indisunique, x.indisprimary, x.indisvalid,
               c.oid IS NOT NULL AS is_constraint,
               x.indnkeyatts::int, x.indnatts::int,
               ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnatts) AS k ORDER BY k) AS cols,
               ARRAY(SELECT (x.indoption::int2[])[k] FROM generate_series(0, x.indnkeyatts - 1) AS k ORDER BY k) AS options,
               ARRAY(SELECT CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname END
                     FROM unnest(x.indclass::oid[]) WITH ORDINALITY AS u(oid, ord)
                     JOIN pg_opclass opc ON opc.oid = u.oid ORDER BY u.ord) AS opclasses,
               pg_get_expr(x.indpred, x.indrelid, true),
               pg_get_indexdef(x.indexrelid),
               pg_relation_size(x.indexrelid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_am am ON am.oid = i.relam
        LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x')
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
          AND (cardinality($1::text[]) = 0 OR n.nspname = ANY ($1::text[]))
        ORDER BY 1, 2, 3
        """;

    public static async Task<IReadOnlyList<LiveIndex>> ReadAsync(NpgsqlConnection connection, IReadOnlyCollection<string>? schemas = null, CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand(Sql, connection);
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = (schemas ?? []).ToArray() });
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<LiveIndex>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var keyCount = r.GetInt32(8);
            var cols = r.GetFieldValue<string[]>(10);
            var options = r.GetFieldValue<short[]>(11);
            var opclasses = r.GetFieldValue<string[]>(12);
            list.Add(new LiveIndex
            {
                Schema = r.GetString(0),
                Table = r.GetString(1),
                Name = r.GetString(2),
                Method = r.GetString(3),
                Unique = r.GetBoolean(4),
                Primary = r.GetBoolean(5),
                Valid = r.GetBoolean(6),
                IsConstraint = r.GetBoolean(7),
                Keys = cols.Take(keyCount).ToList(),
                Include = cols.Skip(keyCount).ToList(),
                Descending = options.Select(o => (o & 1) != 0).ToList(),
                NullsFirst = options.Select(o => (o & 2) != 0).ToList(),
                OpClasses = opclasses.Take(keyCount).Select(o => o.Length == 0 ? null : o).ToList(),
                Predicate = r.IsDBNull(13) ? null : r.GetString(13),
                Definition = r.GetString(14),
                SizeBytes = r.GetInt64(15),
            });
        }

        return list;
    }
}
