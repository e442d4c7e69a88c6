using System.Text.RegularExpressions;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>
/// Tables whose updates are mostly not HOT. A HOT (heap-only) update leaves every index alone: the
/// new row version goes on the same page and the old index entries lead to it. PostgreSQL can do
/// that only when no column an index references changes — key, INCLUDE column, expression or
/// predicate alike (before PostgreSQL 16 a BRIN index's columns too) — and the page has room. Every
/// other update writes an entry into each index of the table, and its WAL, and leaves dead entries
/// for VACUUM. The check names the indexed columns the workload's UPDATE statements set
/// (pg_stat_statements), and says which of them an index carries only as an INCLUDE column, which
/// is the case worth fixing: the index then serves the same lookups without it.
/// </summary>
internal static partial class HotUpdates
{
    /// <summary>A column an UPDATE sets: its table (schema when written) and name, as PostgreSQL folds them.</summary>
    internal readonly record struct SetColumn(string? Schema, string Table, string Column);

    private const string Identifier = @"(?:""(?:[^""]|"""")+""|[A-Za-z_][\w$]*)";

    [GeneratedRegex(@"\bUPDATE\s+(?:ONLY\s+)?(?!SET\b)(?<t>" + Identifier + @"(?:\s*\.\s*" + Identifier + @")?)(?:\s+(?:AS\s+)?(?!SET\b)[A-Za-z_][\w$]*)?\s+SET\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UpdateSet();

    [GeneratedRegex(@"\bINSERT\s+INTO\s+(?<t>" + Identifier + @"(?:\s*\.\s*" + Identifier + @")?)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InsertInto();

    [GeneratedRegex(@"\bDO\s+UPDATE\s+SET\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DoUpdateSet();

    [GeneratedRegex(@"^\s*(?<c>" + Identifier + ")", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingIdentifier();

    /// <summary>
    /// The columns a statement's UPDATEs set: plain and in a WITH, <c>(a, b) = (…)</c> lists, and the
    /// <c>ON CONFLICT … DO UPDATE SET</c> of an INSERT (on the INSERT's table).
    /// </summary>
    internal static IReadOnlyList<SetColumn> SetColumns(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var list = new List<SetColumn>();
        foreach (Match m in UpdateSet().Matches(sql))
        {
            Add(list, m.Groups["t"].Value, sql, m.Index + m.Length);
        }

        foreach (Match m in DoUpdateSet().Matches(sql))
        {
            var insert = InsertInto().Matches(sql[..m.Index]).LastOrDefault();
            if (insert is not null)
            {
                Add(list, insert.Groups["t"].Value, sql, m.Index + m.Length);
            }
        }

        return list.Distinct().ToList();
    }

    private static void Add(List<SetColumn> list, string table, string sql, int start)
    {
        var parts = SplitQualified(table);
        var (schema, name) = parts.Count == 2 ? (parts[0], parts[1]) : ((string?)null, parts[0]);
        foreach (var item in SetItems(sql, start))
        {
            var text = item.TrimStart();
            if (text.StartsWith('('))
            {
                var close = text.IndexOf(')', StringComparison.Ordinal);
                if (close > 0)
                {
                    foreach (var c in text[1..close].Split(','))
                    {
                        if (LeadingIdentifier().Match(c) is { Success: true } cm)
                        {
                            list.Add(new SetColumn(schema, name, Fold(cm.Groups["c"].Value)));
                        }
                    }
                }
            }
            else if (LeadingIdentifier().Match(text) is { Success: true } m)
            {
                list.Add(new SetColumn(schema, name, Fold(m.Groups["c"].Value)));
            }
        }
    }

    /// <summary>The SET list's items from <paramref name="start"/>: split at top-level commas, ended by FROM, WHERE, RETURNING or the statement's closing parenthesis.</summary>
    private static List<string> SetItems(string sql, int start)
    {
        var items = new List<string>();
        var depth = 0;
        var itemStart = start;
        var i = start;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c is '\'' or '"')
            {
                i = sql.IndexOf(c, i + 1) is var end and >= 0 ? end + 1 : sql.Length;
                continue;
            }

            if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                if (depth == 0)
                {
                    break;
                }

                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                items.Add(sql[itemStart..i]);
                itemStart = i + 1;
            }
            else if (depth == 0 && (char.IsLetter(c) || c == '_') && (i == 0 || !IsIdentifierChar(sql[i - 1])))
            {
                var wordEnd = i;
                while (wordEnd < sql.Length && IsIdentifierChar(sql[wordEnd]))
                {
                    wordEnd++;
                }

                var word = sql[i..wordEnd];
                if (word.Equals("FROM", StringComparison.OrdinalIgnoreCase) || word.Equals("WHERE", StringComparison.OrdinalIgnoreCase)
                    || word.Equals("RETURNING", StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }

                i = wordEnd;
                continue;
            }

            i++;
        }

        items.Add(sql[itemStart..i]);
        return items.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    private static List<string> SplitQualified(string text)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
                current.Append(c);
            }
            else if (c == '.' && !quoted)
            {
                parts.Add(Fold(current.ToString().Trim()));
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        parts.Add(Fold(current.ToString().Trim()));
        return parts;
    }

    /// <summary>An identifier as PostgreSQL stores it: unquoted ones in lower case, quoted ones as written.</summary>
    private static string Fold(string identifier) =>
        identifier.Length >= 2 && identifier[0] == '"' && identifier[^1] == '"'
            ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal)
            : identifier.ToLowerInvariant();

    private sealed record TableUpdates(long Oid, string Schema, string Table, long Updates, long Hot, int FillFactor, long Indexes);

    private sealed record IndexedColumn(string Index, string Column, string Role);

    /// <summary>What the workload's UPDATE statements do to one column: how many statements set it, and their calls.</summary>
    private sealed class ColumnWrites
    {
        public int Statements { get; set; }

        public long Calls { get; set; }
    }

    /// <summary>
    /// Findings for the tables with at least <see cref="IndexingOptions.HotMinUpdates"/> updates of
    /// which fewer than <see cref="IndexingOptions.HotUpdateWarning"/> were HOT.
    /// <paramref name="statements"/> (null when pg_stat_statements is not readable) tells which
    /// columns the updates set.
    /// </summary>
    public static async Task<IReadOnlyList<IndexFinding>> CheckAsync(NpgsqlConnection conn, IReadOnlyList<StatementStatistics>? statements, IndexingOptions options, CancellationToken ct)
    {
        var tables = new List<TableUpdates>();
        await using (var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker +
            "SELECT s.relid::bigint, s.schemaname, s.relname, s.n_tup_upd, s.n_tup_hot_upd, " +
            "coalesce((SELECT split_part(o, '=', 2)::int FROM unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%'), 100), " +
            "(SELECT count(*) FROM pg_index x WHERE x.indrelid = s.relid) " +
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid " +
            "WHERE s.n_tup_upd >= $1 AND s.n_tup_hot_upd < s.n_tup_upd * $2 ORDER BY s.n_tup_upd - s.n_tup_hot_upd DESC", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.HotMinUpdates });
            cmd.Parameters.Add(new NpgsqlParameter<double> { TypedValue = options.HotUpdateWarning });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                tables.Add(new TableUpdates(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt32(5), r.GetInt64(6)));
            }
        }

        if (tables.Count == 0)
        {
            return [];
        }

        // Every column each index of those tables references: keys and INCLUDE columns from indkey,
        // expression and predicate columns from the index's dependencies on its table's columns.
        var indexed = new Dictionary<long, List<IndexedColumn>>();
        await using (var cmd = new NpgsqlCommand(
            Diagnostics.PgOptimizerDiagnostics.SqlMarker +
            "SELECT x.indrelid::bigint, i.relname, am.amname, a.attname::text, " +
            "CASE WHEN k.ord IS NULL THEN 'expression' WHEN k.ord <= x.indnkeyatts THEN 'key' ELSE 'include' END " +
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam " +
            "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum > 0 AND NOT a.attisdropped " +
            "CROSS JOIN LATERAL (SELECT min(u.ord) AS ord FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(attnum, ord) WHERE u.attnum = a.attnum) k " +
            "WHERE x.indrelid = ANY($1::oid[]) AND (k.ord IS NOT NULL OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass " +
            "AND d.objid = x.indexrelid AND d.refclassid = 'pg_class'::regclass AND d.refobjid = x.indrelid AND d.refobjsubid = a.attnum))", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = tables.Select(t => t.Oid).ToArray() });
            // From PostgreSQL 16 a summarizing index (BRIN) does not stop an update being HOT.
            var summarizingBlocks = conn.PostgreSqlVersion.Major < 16;
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                if (!summarizingBlocks && r.GetString(2) == "brin")
                {
                    continue;
                }

                if (!indexed.TryGetValue(r.GetInt64(0), out var list))
                {
                    indexed[r.GetInt64(0)] = list = [];
                }

                list.Add(new IndexedColumn(r.GetString(1), r.GetString(3), r.GetString(4)));
            }
        }

        var sets = statements?.Select(s => (Statement: s, Columns: SetColumns(s.Query))).Where(x => x.Columns.Count > 0).ToList();
        var findings = new List<IndexFinding>();
        foreach (var t in tables)
        {
            findings.Add(Finding(t, indexed.GetValueOrDefault(t.Oid) ?? [], sets));
        }

        return findings;
    }

    private static IndexFinding Finding(TableUpdates t, List<IndexedColumn> indexed, List<(StatementStatistics Statement, IReadOnlyList<SetColumn> Columns)>? sets)
    {
        var share = (double)t.Hot / t.Updates;
        var qualified = $"{t.Schema}.{t.Table}";
        var detail = $"{t.Hot} of {t.Updates} updates ({share:P0}) since the statistics were last reset (or the table created) were HOT; each of the others wrote an entry into every one of its {t.Indexes} index(es), with WAL, and left dead entries for VACUUM.";
        var written = new Dictionary<string, ColumnWrites>(StringComparer.Ordinal);
        foreach (var (statement, columns) in sets ?? [])
        {
            foreach (var c in columns.Where(c => c.Table == t.Table && (c.Schema is null || c.Schema == t.Schema)).Select(c => c.Column).Distinct(StringComparer.Ordinal))
            {
                if (!written.TryGetValue(c, out var w))
                {
                    written[c] = w = new ColumnWrites();
                }

                w.Statements++;
                w.Calls += statement.Calls;
            }
        }

        var blockers = written
            .Select(kv => (Column: kv.Key, Writes: kv.Value, In: indexed.Where(i => i.Column == kv.Key).ToList()))
            .Where(b => b.In.Count > 0)
            .OrderByDescending(b => b.Writes.Calls).ThenBy(b => b.Column, StringComparer.Ordinal)
            .ToList();
        var evidence = new Dictionary<string, object?>
        {
            ["updates"] = t.Updates,
            ["hotUpdates"] = t.Hot,
            ["hotShare"] = Math.Round(share, 4),
            ["fillfactor"] = t.FillFactor,
            ["indexes"] = t.Indexes,
            ["updatedIndexedColumns"] = blockers.Select(b => new Dictionary<string, object?>
            {
                ["column"] = b.Column,
                ["indexes"] = b.In.Select(i => $"{i.Index} ({i.Role})").ToArray(),
                ["statements"] = b.Writes.Statements,
                ["calls"] = b.Writes.Calls,
            }).ToArray(),
        };

        if (sets is null)
        {
            return new IndexFinding(IndexFindingKind.NonHotUpdates, HealthLevel.Healthy, qualified, null,
                detail + " Which columns the updates set needs pg_stat_statements (installed, preloaded and readable).", evidence, null);
        }

        if (blockers.Count > 0)
        {
            detail += " The workload's UPDATE statements set indexed columns: " + string.Join("; ", blockers.Select(b =>
                $"{b.Column} ({string.Join(", ", b.In.Select(i => $"{i.Index} {i.Role}"))}; {b.Writes.Statements} statement(s), {b.Writes.Calls} calls)")) + ".";
            // a column carried only in INCLUDE lists: those indexes serve the same lookups without it
            var includeOnly = blockers.Where(b => b.In.All(i => i.Role == "include")).ToList();
            if (includeOnly.Count > 0)
            {
                var indexes = includeOnly.SelectMany(b => b.In.Select(i => i.Index)).Distinct(StringComparer.Ordinal).ToList();
                return new IndexFinding(IndexFindingKind.NonHotUpdates, HealthLevel.Warning, qualified, indexes[0], detail, evidence,
                    $"Leave {string.Join(", ", includeOnly.Select(b => b.Column))} out of the INCLUDE list of {string.Join(", ", indexes)} if the reads it serves can fetch them from the table " +
                    "(build the narrower index CONCURRENTLY under a new name, then DROP INDEX CONCURRENTLY the old one): the index keeps serving the same lookups, and those updates can be HOT" +
                    (blockers.Count > includeOnly.Count ? " where they set no other indexed column." : "."));
            }

            // keys and expressions: the price of those indexes, worth knowing but with no free fix
            return new IndexFinding(IndexFindingKind.NonHotUpdates, HealthLevel.Healthy, qualified, blockers[0].In[0].Index,
                detail + " Those columns are keys or expressions of the indexes named: updating them cannot be HOT while the indexes exist.", evidence, null);
        }

        if (t.FillFactor >= 100)
        {
            return new IndexFinding(IndexFindingKind.NonHotUpdates, HealthLevel.Warning, qualified, null,
                detail + " The workload's UPDATE statements set no indexed column, so their new row versions found no room on their page: with the default fillfactor of 100 a page is filled up by inserts. A lower fillfactor applies to the pages written from then on (a VACUUM FULL or pg_repack rewrites the others).",
                evidence, $"ALTER TABLE {PgIdentifier.Quote(t.Schema, t.Table)} SET (fillfactor = 90);");
        }

        return new IndexFinding(IndexFindingKind.NonHotUpdates, HealthLevel.Healthy, qualified, null,
            detail + $" The workload's UPDATE statements seen set no indexed column and the fillfactor is already {t.FillFactor}: the rows may outgrow their page's free space, or the updates that are not HOT are not among the statements read (IndexingOptions.WorkloadTop).",
            evidence, null);
    }
}
