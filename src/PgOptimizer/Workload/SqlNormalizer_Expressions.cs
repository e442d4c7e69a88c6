using System.Text;

namespace PgOptimizer.Workload;

// The expression form.
internal static partial class SqlNormalizer
{
    /// <summary>
    /// The expression form, so that what a user wrote and what PostgreSQL prints compare equal:
    /// <c>status = 'active'</c> and <c>(status = 'active'::text)</c> both become <c>status='active'</c>.
    /// String literals are kept verbatim; outside them whitespace, parentheses, type casts and
    /// identifier quotes are dropped and letters lower-cased.
    /// </summary>
    public static string Expression(string? sql)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(sql.Length);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c == '\'')
            {
                // copy the literal, including doubled quotes
                var start = i++;
                while (i < sql.Length)
                {
                    if (sql[i] == '\'' && i + 1 < sql.Length && sql[i + 1] == '\'')
                    {
                        i += 2;
                        continue;
                    }

                    if (sql[i] == '\'')
                    {
                        i++;
                        break;
                    }

                    i++;
                }

                sb.Append(sql, start, i - start);
                continue;
            }

            if (c == ':' && i + 1 < sql.Length && sql[i + 1] == ':')
            {
                // drop a cast: ::type, ::"type", ::type[], ::character varying
                i += 2;
                while (i < sql.Length && char.IsWhiteSpace(sql[i]))
                {
                    i++;
                }

                if (i < sql.Length && sql[i] == '"')
                {
                    i++;
                    while (i < sql.Length && sql[i] != '"')
                    {
                        i++;
                    }

                    i++;
                }
                else
                {
                    while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '.' or ' '))
                    {
                        // stop at a space unless the next word continues a two-word type name
                        if (sql[i] == ' ' && !ContinuesTypeName(sql, i + 1))
                        {
                            break;
                        }

                        i++;
                    }
                }

                while (i + 1 < sql.Length && sql[i] == '[' && sql[i + 1] == ']')
                {
                    i += 2;
                }

                continue;
            }

            if (char.IsWhiteSpace(c) || c is '(' or ')' or '"')
            {
                i++;
                continue;
            }

            sb.Append(char.ToLowerInvariant(c));
            i++;
        }

        return sb.ToString();
    }

    private static bool ContinuesTypeName(string sql, int at)
    {
        foreach (var word in new[] { "varying", "precision", "zone", "with", "without", "time" })
        {
            if (string.Compare(sql, at, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
