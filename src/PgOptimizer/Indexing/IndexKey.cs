using System.Text;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>One key of an index: a column or an expression, with order, nulls placement and operator class.</summary>
public sealed record IndexKey
{
    /// <summary>A column name (quoted in DDL). Either this or <see cref="Expression"/>.</summary>
    public string? Column { get; init; }

    /// <summary>An SQL expression, e.g. <c>lower(email)</c> (written into DDL as is, in parentheses).</summary>
    public string? Expression { get; init; }

    /// <summary>Descending order (btree only).</summary>
    public bool Descending { get; init; }

    /// <summary>NULLS FIRST (true), NULLS LAST (false), or the default for the order (null).</summary>
    public bool? NullsFirst { get; init; }

    /// <summary>Operator class, e.g. <c>jsonb_path_ops</c>, <c>text_pattern_ops</c>.</summary>
    public string? OpClass { get; init; }

    /// <summary>A key on a column.</summary>
    public static IndexKey Col(string column, bool descending = false, string? opClass = null) =>
        new() { Column = column, Descending = descending, OpClass = opClass };

    /// <summary>A key on an expression, e.g. <c>lower(email)</c>.</summary>
    public static IndexKey Expr(string expression, string? opClass = null) =>
        new() { Expression = expression, OpClass = opClass };

    /// <summary>Parses "col", "col DESC", "col jsonb_path_ops", "col DESC NULLS LAST".</summary>
    public static IndexKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new PgOptimizerConfigurationException("An index key is empty; write a column name such as \"created_at\" or \"created_at DESC\".");
        }

        var key = new IndexKey { Column = parts[0] };
        for (var i = 1; i < parts.Length; i++)
        {
            var p = parts[i].ToUpperInvariant();
            if (p == "DESC")
            {
                key = key with { Descending = true };
            }
            else if (p == "ASC")
            {
                key = key with { Descending = false };
            }
            else if (p == "NULLS" && i + 1 < parts.Length)
            {
                var where = parts[++i].ToUpperInvariant();
                key = where switch
                {
                    "FIRST" => key with { NullsFirst = true },
                    "LAST" => key with { NullsFirst = false },
                    _ => throw new PgOptimizerConfigurationException($"The index key \"{text}\" has NULLS {parts[i]}; write NULLS FIRST or NULLS LAST."),
                };
            }
            else if (i == 1 && key.OpClass is null && IsIdentifier(parts[i]))
            {
                key = key with { OpClass = parts[i] };
            }
            else
            {
                throw new PgOptimizerConfigurationException($"The index key \"{text}\" is not understood; write \"column [opclass] [ASC|DESC] [NULLS FIRST|LAST]\" or use {{\"expression\": ...}}.");
            }
        }

        return key;
    }

    internal static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>The key as it appears in CREATE INDEX.</summary>
    public string ToSql()
    {
        var sb = new StringBuilder();
        sb.Append(Expression is not null ? "(" + Expression + ")" : PgIdentifier.Quote(Column!));
        if (OpClass is not null)
        {
            sb.Append(' ').Append(OpClass);
        }

        if (Descending)
        {
            sb.Append(" DESC");
        }

        if (NullsFirst is { } nf && nf != Descending)
        {
            sb.Append(nf ? " NULLS FIRST" : " NULLS LAST");
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToSql();
}
