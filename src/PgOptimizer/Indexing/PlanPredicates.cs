using System.Text.Json;
using System.Text.RegularExpressions;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>
/// Reads filter, index, join and sort conditions out of an EXPLAIN (FORMAT JSON) plan, per table.
/// Understands the shapes PostgreSQL prints: (col = $1), (a.col = b.col), (col = 'x'::text),
/// (col &gt;= $2), (col IS NULL), (NOT col), (expr @@ query), "Sort Key": ["col DESC"].
/// </summary>
internal static partial class PlanPredicates
{
    public static Dictionary<string, TableUse> Extract(JsonElement plan, ISet<string> userTables)
    {
        var byAlias = new Dictionary<string, TableUse>(StringComparer.Ordinal);
        var uses = new Dictionary<string, TableUse>(StringComparer.Ordinal);
        var nodes = GenericPlanExplainer.Nodes(plan).ToList();

        foreach (var n in nodes.Where(n => n.TryGetProperty("Relation Name", out _)))
        {
            var table = n.GetProperty("Relation Name").GetString()!;
            if (!userTables.Contains(table))
            {
                continue;
            }

            var alias = n.TryGetProperty("Alias", out var a) ? a.GetString()! : table;
            var use = uses.TryGetValue(table, out var existing) ? existing : uses[table] = new TableUse(table);
            byAlias[alias] = use;
            if (n.GetProperty("Node Type").GetString() == "Seq Scan")
            {
                use.SeqScanned = true;
            }

            foreach (var key in new[] { "Filter", "Index Cond", "Recheck Cond" })
            {
                if (n.TryGetProperty(key, out var cond))
                {
                    AddConditions(cond.GetString()!, use, alias);
                }
            }
        }

        // Join conditions and sorts name their tables by alias.
        foreach (var n in nodes)
        {
            foreach (var key in new[] { "Hash Cond", "Merge Cond", "Join Filter" })
            {
                if (n.TryGetProperty(key, out var cond))
                {
                    foreach (var c in Conjuncts(cond.GetString()!))
                    {
                        var m = Comparison().Match(c);
                        if (m.Success && m.Groups["op"].Value == "=")
                        {
                            foreach (var side in new[] { m.Groups["lhs"].Value, m.Groups["rhs"].Value })
                            {
                                if (ColumnRef(side) is { } col && col.Alias is { } al && byAlias.TryGetValue(al, out var u) && !u.Equality.Contains(col.Column))
                                {
                                    u.Equality.Add(col.Column);
                                }
                            }
                        }
                    }
                }
            }

            if (n.TryGetProperty("Sort Key", out var sortKeys))
            {
                foreach (var k in sortKeys.EnumerateArray().Select(k => k.GetString()!))
                {
                    var desc = k.EndsWith(" DESC", StringComparison.Ordinal) || k.Contains(" DESC ", StringComparison.Ordinal);
                    var bare = Regex.Replace(k, @"\s+(ASC|DESC)(\s+NULLS\s+(FIRST|LAST))?$", string.Empty);
                    if (ColumnRef(bare) is { } col)
                    {
                        var u = col.Alias is { } al ? byAlias.GetValueOrDefault(al) : byAlias.Count == 1 ? byAlias.Values.First() : null;
                        if (u is not null && !u.Sort.Any(s => s.Column == col.Column))
                        {
                            u.Sort.Add((col.Column, desc));
                        }
                    }
                }
            }
        }

        return uses;
    }

    private static void AddConditions(string condition, TableUse use, string alias)
    {
        foreach (var c in Conjuncts(condition))
        {
            var ts = TextSearchMatch().Match(c);
            if (ts.Success)
            {
                var expr = StripAlias(ts.Groups["expr"].Value.Trim(), alias);
                if (!use.TextSearch.Contains(expr))
                {
                    use.TextSearch.Add(expr);
                }

                continue;
            }

            var isNull = IsNullMatch().Match(c);
            if (isNull.Success && ColumnRef(isNull.Groups["col"].Value) is { } nullCol)
            {
                use.Partial.Add((nullCol.Column, $"{PgIdentifier.Quote(nullCol.Column)} IS {(isNull.Groups["not"].Success ? "NOT " : string.Empty)}NULL"));
                continue;
            }

            var boolMatch = BoolMatch().Match(c);
            if (boolMatch.Success && ColumnRef(boolMatch.Groups["col"].Value) is { } boolCol)
            {
                use.Partial.Add((boolCol.Column, (boolMatch.Groups["not"].Success ? "NOT " : string.Empty) + PgIdentifier.Quote(boolCol.Column)));
                continue;
            }

            var m = Comparison().Match(c);
            if (!m.Success)
            {
                continue;
            }

            var (lhs, op, rhs) = (m.Groups["lhs"].Value, m.Groups["op"].Value, m.Groups["rhs"].Value);
            var col = ColumnRef(lhs);
            if (col is null || (col.Alias is not null && col.Alias != alias))
            {
                if (ColumnRef(rhs) is { } flipped && (flipped.Alias is null || flipped.Alias == alias))
                {
                    (col, rhs) = (flipped, lhs);
                    op = op switch { "<" => ">", ">" => "<", "<=" => ">=", ">=" => "<=", _ => op };
                }
                else
                {
                    continue;
                }
            }

            switch (op)
            {
                case "=":
                    if (!use.Equality.Contains(col.Column))
                    {
                        use.Equality.Add(col.Column);
                    }

                    if (IsConstant(rhs))
                    {
                        use.Partial.Add((col.Column, $"{PgIdentifier.Quote(col.Column)} = {rhs}"));
                    }

                    break;
                case "<" or "<=" or ">" or ">=":
                    if (!use.Range.Contains(col.Column))
                    {
                        use.Range.Add(col.Column);
                    }

                    break;
            }
        }
    }

    private static bool IsConstant(string rhs) => ConstantMatch().IsMatch(rhs.Trim());

    internal sealed record ColumnReference(string? Alias, string Column);

    internal static ColumnReference? ColumnRef(string text)
    {
        var t = text.Trim();
        while (t.StartsWith('(') && t.EndsWith(')') && Balanced(t[1..^1]))
        {
            t = t[1..^1].Trim();
        }

        var m = ColumnMatch().Match(t);
        return m.Success ? new ColumnReference(m.Groups["alias"].Success ? m.Groups["alias"].Value : null, m.Groups["col"].Value) : null;
    }

    private static string StripAlias(string expr, string alias) => expr.Replace(alias + ".", string.Empty, StringComparison.Ordinal);

    /// <summary>Splits a condition at top-level AND.</summary>
    internal static List<string> Conjuncts(string condition)
    {
        var t = condition.Trim();
        while (t.StartsWith('(') && t.EndsWith(')') && Balanced(t[1..^1]))
        {
            t = t[1..^1].Trim();
        }

        var parts = new List<string>();
        var depth = 0;
        var inQuote = false;
        var start = 0;
        for (var i = 0; i < t.Length; i++)
        {
            var c = t[i];
            if (c == '\'')
            {
                inQuote = !inQuote;
            }
            else if (!inQuote && c == '(')
            {
                depth++;
            }
            else if (!inQuote && c == ')')
            {
                depth--;
            }
            else if (!inQuote && depth == 0 && string.CompareOrdinal(t, i, " AND ", 0, 5) == 0)
            {
                parts.Add(Unwrap(t[start..i]));
                start = i + 5;
                i += 4;
            }
        }

        parts.Add(Unwrap(t[start..]));
        return parts;
    }

    private static string Unwrap(string s)
    {
        var t = s.Trim();
        while (t.StartsWith('(') && t.EndsWith(')') && Balanced(t[1..^1]))
        {
            t = t[1..^1].Trim();
        }

        return t;
    }

    private static bool Balanced(string s)
    {
        var depth = 0;
        var inQuote = false;
        foreach (var c in s)
        {
            if (c == '\'')
            {
                inQuote = !inQuote;
            }
            else if (!inQuote && c == '(')
            {
                depth++;
            }
            else if (!inQuote && c == ')' && --depth < 0)
            {
                return false;
            }
        }

        return depth == 0;
    }

    [GeneratedRegex(@"^(?<lhs>.+?)\s+(?<op>=|<>|!=|<=|>=|<|>)\s+(?<rhs>.+)$")]
    private static partial Regex Comparison();

    [GeneratedRegex(@"^(?:(?<alias>[A-Za-z_][\w$]*)\.)?""?(?<col>[A-Za-z_][\w$]*)""?(?:::[\w ]+)?$")]
    private static partial Regex ColumnMatch();

    [GeneratedRegex(@"^(?<col>.+?)\s+IS\s+(?<not>NOT\s+)?NULL$")]
    private static partial Regex IsNullMatch();

    [GeneratedRegex(@"^(?<not>NOT\s+)?(?<col>(?:[A-Za-z_][\w$]*\.)?[A-Za-z_][\w$]*)$")]
    private static partial Regex BoolMatch();

    [GeneratedRegex(@"^(?<expr>.+)\s+@@\s+(?<rhs>.+)$")]
    private static partial Regex TextSearchMatch();

    [GeneratedRegex(@"^('([^']|'')*'(::[\w ]+)?|-?\d+(\.\d+)?(::[\w ]+)?|true|false)$", RegexOptions.IgnoreCase)]
    private static partial Regex ConstantMatch();
}
