using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace PgOptimizer.Workload;

/// <summary>
/// The one place SQL text is normalized, in three forms for three comparisons:
/// <see cref="Statement"/> for counting statements, <see cref="Shape"/> for matching an
/// application's SQL to pg_stat_statements, and <see cref="Expression"/> for comparing index
/// expressions and predicates with what PostgreSQL prints.
/// </summary>
/// <remarks>
/// Statement form: turns a statement's text into its normalized form, so that the same statement run with different
/// constants is counted as one: string, numeric, dollar-quoted and bit/hex literals become
/// <c>?</c>; lists of constants or parameters (<c>IN (1, 2, 3)</c>, multi-row <c>VALUES</c>)
/// collapse to one element; comments are dropped and whitespace is collapsed. Parameter
/// placeholders ($1) and identifiers are kept. The statement id is a hash of the normalized text,
/// the same in every process, so instances can merge their figures.
/// </remarks>
internal static partial class SqlNormalizer
{
    /// <summary>Longest normalized text kept; longer statements are cut (the id covers the whole text).</summary>
    public const int MaxLength = 2000;

    /// <summary>The statement form: constants become ?, lists collapse, comments and extra whitespace go.</summary>
    public static string Statement(string? sql)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(Math.Min(sql.Length, 4096));
        var i = 0;
        var pendingSpace = false;

        void Emit(char c)
        {
            if (pendingSpace && sb.Length > 0 && NeedsSpace(sb[^1], c))
            {
                sb.Append(' ');
            }

            pendingSpace = false;
            sb.Append(c);
        }

        void EmitPlaceholder()
        {
            Emit('?');
        }

        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                i++;
            }
            else if (c == '-' && At(sql, i + 1, '-'))
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }

                pendingSpace = true;
            }
            else if (c == '/' && At(sql, i + 1, '*'))
            {
                var depth = 0;
                while (i < sql.Length)
                {
                    if (sql[i] == '/' && At(sql, i + 1, '*'))
                    {
                        depth++;
                        i += 2;
                    }
                    else if (sql[i] == '*' && At(sql, i + 1, '/'))
                    {
                        depth--;
                        i += 2;
                        if (depth == 0)
                        {
                            break;
                        }
                    }
                    else
                    {
                        i++;
                    }
                }

                pendingSpace = true;
            }
            else if (c == '\'')
            {
                var escapes = i > 0 && (sql[i - 1] is 'E' or 'e') && (i < 2 || !IsIdentifierChar(sql[i - 2]));
                if (escapes || (i > 0 && (sql[i - 1] is 'B' or 'b' or 'X' or 'x' or 'U' or 'u' or 'N' or 'n') && (i < 2 || !IsIdentifierChar(sql[i - 2]))))
                {
                    // E'..', B'..', X'..', N'..': drop the prefix letter already emitted
                    sb.Length--;
                }

                i = SkipQuoted(sql, i, escapes);
                EmitPlaceholder();
            }
            else if (c == '"')
            {
                var start = i++;
                while (i < sql.Length)
                {
                    if (sql[i] == '"' && At(sql, i + 1, '"'))
                    {
                        i += 2;
                    }
                    else if (sql[i++] == '"')
                    {
                        break;
                    }
                }

                foreach (var ch in sql.AsSpan(start, i - start))
                {
                    Emit(ch);
                }
            }
            else if (c == '$' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1]))
            {
                // a parameter placeholder: kept
                Emit('$');
                i++;
                while (i < sql.Length && char.IsAsciiDigit(sql[i]))
                {
                    Emit(sql[i++]);
                }
            }
            else if (c == '$' && TryDollarTag(sql, i, out var tagLength) && (i == 0 || !IsIdentifierChar(sql[i - 1])))
            {
                var tag = sql.AsSpan(i, tagLength);
                var end = sql.AsSpan(i + tagLength).IndexOf(tag, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : i + tagLength + end + tagLength;
                EmitPlaceholder();
            }
            else if ((char.IsAsciiDigit(c) || (c == '.' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1]))) && (i == 0 || !IsIdentifierChar(sql[i - 1])))
            {
                i++;
                while (i < sql.Length && (char.IsAsciiLetterOrDigit(sql[i]) || sql[i] == '.' || sql[i] == '_' ||
                                          ((sql[i] is '+' or '-') && (sql[i - 1] is 'e' or 'E'))))
                {
                    i++;
                }

                EmitPlaceholder();
            }
            else
            {
                Emit(c);
                i++;
            }
        }

        var text = CollapseLists(sb.ToString());
        return text.Length > MaxLength ? text[..MaxLength] + "…" : text;
    }

    /// <summary>A stable 16-hex-digit id of a normalized statement (XxHash64 of its UTF-8 bytes).</summary>
    /// <summary>
    /// The shape form, for matching the application's SQL (with constants) to pg_stat_statements'
    /// text (with $n): literals (with a cast), parameters and numbers become ?, whitespace collapses,
    /// no spaces around punctuation, lower case. Lists are kept as they are, unlike the statement form.
    /// </summary>
    public static string Shape(string sql) =>
        ShapePunctuation().Replace(Whitespace().Replace(ShapeValue().Replace(sql, "?"), " "), "$1").Trim().ToLowerInvariant();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?:'(?:[^']|'')*'|\$\d+)(?:::\w+(?: varying)?(?:\[\])?)?|\b\d+(?:\.\d+)?\b")]
    private static partial System.Text.RegularExpressions.Regex ShapeValue();

    [System.Text.RegularExpressions.GeneratedRegex(@"\s+")]
    private static partial System.Text.RegularExpressions.Regex Whitespace();

    [System.Text.RegularExpressions.GeneratedRegex(@"\s*([(),=<>])\s*")]
    private static partial System.Text.RegularExpressions.Regex ShapePunctuation();

    /// <summary>A stable id of a normalized statement, the same in every process.</summary>
    public static string StatementId(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(normalized));
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, hash);
        return Convert.ToHexStringLower(bytes);
    }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$';

    private static bool NeedsSpace(char before, char next) => before != '(' && next is not (')' or ',');

    private static int SkipQuoted(string sql, int i, bool backslashEscapes)
    {
        i++;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i += 2;
            }
            else if (sql[i] == '\'' && At(sql, i + 1, '\''))
            {
                i += 2;
            }
            else if (sql[i++] == '\'')
            {
                break;
            }
        }

        return Math.Min(i, sql.Length);
    }

    private static bool TryDollarTag(string sql, int i, out int length)
    {
        // $$ or $tag$ where tag is an identifier not starting with a digit
        var j = i + 1;
        while (j < sql.Length && (char.IsLetterOrDigit(sql[j]) || sql[j] == '_'))
        {
            j++;
        }

        length = j - i + 1;
        return j < sql.Length && sql[j] == '$' && (j == i + 1 || !char.IsAsciiDigit(sql[i + 1]));
    }

    /// <summary>
    /// (?, ?, ?) → (?), ($1, $2, $3) → ($1...), and repeated row groups "(...), (...)" → one.
    /// </summary>
    private static string CollapseLists(string s)
    {
        if (s.IndexOf(',', StringComparison.Ordinal) < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        var i = 0;
        while (i < s.Length)
        {
            if (s[i] == '(' && TryReadValueList(s, i, out var end, out var first))
            {
                sb.Append('(').Append(first).Append(')');
                i = end;
                // drop repeated groups that follow: , (...)
                while (true)
                {
                    var j = i;
                    while (j < s.Length && s[j] == ' ')
                    {
                        j++;
                    }

                    if (j >= s.Length || s[j] != ',')
                    {
                        break;
                    }

                    j++;
                    while (j < s.Length && s[j] == ' ')
                    {
                        j++;
                    }

                    if (j < s.Length && s[j] == '(' && TryReadValueList(s, j, out var end2, out _))
                    {
                        i = end2;
                    }
                    else
                    {
                        break;
                    }
                }

                continue;
            }

            sb.Append(s[i++]);
        }

        return sb.ToString();
    }

    /// <summary>A parenthesized list of only ? and $n items with at least two items, or a single ? item.</summary>
    private static bool TryReadValueList(string s, int open, out int end, out string first)
    {
        end = open;
        first = "?";
        var items = 0;
        var i = open + 1;
        while (i < s.Length)
        {
            while (i < s.Length && s[i] == ' ')
            {
                i++;
            }

            if (i >= s.Length)
            {
                return false;
            }

            if (s[i] == '?')
            {
                i++;
            }
            else if (s[i] == '$' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))
            {
                var start = i++;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }

                if (items == 0)
                {
                    first = s[start..i] + "...";
                }
            }
            else
            {
                return false;
            }

            items++;
            while (i < s.Length && s[i] == ' ')
            {
                i++;
            }

            if (i < s.Length && s[i] == ',')
            {
                i++;
                continue;
            }

            if (i < s.Length && s[i] == ')')
            {
                end = i + 1;
                if (items == 1 && first != "?")
                {
                    return false; // ($1) is a plain parenthesized parameter
                }

                return true;
            }

            return false;
        }

        return false;
    }
}
