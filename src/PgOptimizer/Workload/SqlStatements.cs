namespace PgOptimizer.Workload;

/// <summary>How many statements a piece of SQL holds, reading past quotes and comments.</summary>
public static class SqlStatements
{
    /// <summary>
    /// True when <paramref name="sql"/> is one statement: no ';' outside string literals, quoted
    /// identifiers, dollar-quoted bodies and comments, except trailing ones.
    /// </summary>
    public static bool IsSingle(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var i = 0;
        var ended = false; // a ';' was seen: only whitespace, comments and more ';' may follow
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c) || c == ';')
            {
                ended |= c == ';';
                i++;
                continue;
            }

            if (c == '-' && At(sql, i, "--"))
            {
                var nl = sql.IndexOf('\n', i);
                i = nl < 0 ? sql.Length : nl + 1;
                continue;
            }

            if (c == '/' && At(sql, i, "/*"))
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
                continue;
            }

            if (ended)
            {
                return false;
            }

            if (c is '\'' or '"')
            {
                i = SkipQuoted(sql, i, c);
            }
            else if (c == '$' && DollarTag(sql, i) is { } tag)
            {
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + tag.Length;
            }
            else
            {
                i++;
            }
        }

        return true;
    }

    private static bool At(string s, int i, string what) => string.CompareOrdinal(s, i, what, 0, what.Length) == 0;

    private static int SkipQuoted(string s, int i, char quote)
    {
        i++;
        while (i < s.Length)
        {
            if (s[i] == quote)
            {
                if (i + 1 < s.Length && s[i + 1] == quote)
                {
                    i += 2; // doubled quote
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return i;
    }

    /// <summary>The dollar-quote tag starting at <paramref name="i"/> ($$ or $name$), or null ($1 is a parameter).</summary>
    private static string? DollarTag(string s, int i)
    {
        var j = i + 1;
        while (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] == '_'))
        {
            j++;
        }

        if (j >= s.Length || s[j] != '$' || (j > i + 1 && char.IsAsciiDigit(s[i + 1])))
        {
            return null;
        }

        return s[i..(j + 1)];
    }
}
