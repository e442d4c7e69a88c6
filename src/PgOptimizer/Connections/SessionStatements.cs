using System.Buffers;

namespace PgOptimizer.Connections;

/// <summary>
/// Whether a command's SQL can leave state behind in its session after the call: a session
/// setting (SET without LOCAL, set_config), a role or authorization, LISTEN, a session advisory
/// lock, a temporary table, a cursor WITH HOLD, a loaded library. Transaction-scoped forms (SET
/// LOCAL, SET TRANSACTION, pg_advisory_xact_lock) end with their transaction and do not count. What
/// a function does inside the server cannot be seen here.
/// </summary>
internal static class SessionStatements
{
    private static readonly SearchValues<string> Candidates = SearchValues.Create(
        ["set", "listen", "create", "declare", "load", "set_config(", "pg_advisory_lock(", "pg_advisory_lock_shared(", "pg_try_advisory_lock(", "pg_try_advisory_lock_shared("],
        StringComparison.OrdinalIgnoreCase);

    // a pure function of the text: the verdict for the texts seen last, by the string's identity
    private static readonly Diagnostics.IdentityMemo<string, bool> Recent = new();

    /// <summary>True when <paramref name="sql"/> may change session state that outlives the call.</summary>
    public static bool ChangesSession(string sql)
    {
        if (Recent.TryGet(sql, out var known))
        {
            return known;
        }

        var changes = Scan(sql);
        Recent.Set(sql, changes);
        return changes;
    }

    private static bool Scan(string sql)
    {
        var text = sql.AsSpan();
        var offset = 0;
        while (offset < text.Length)
        {
            var found = text[offset..].IndexOfAny(Candidates);
            if (found < 0)
            {
                return false;
            }

            var at = offset + found;
            if (Confirms(text, at))
            {
                return true;
            }

            offset = at + 1;
        }

        return false;
    }

    private static bool Confirms(ReadOnlySpan<char> text, int at)
    {
        if (at > 0 && IsIdentifierChar(text[at - 1]))
        {
            return false; // inside a longer name: "offset", "reset", "pg_advisory_xact_lock("
        }

        var rest = text[at..];
        if (rest.StartsWith("set_config(", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("pg_", StringComparison.OrdinalIgnoreCase))
        {
            return true; // a setting changed with set_config (local or not: the text does not tell), a session advisory lock
        }

        var word = Word(rest);
        if (word.Length == 0 || !AtStatementStart(text, at))
        {
            return false;
        }

        var afterWord = rest[word.Length..].TrimStart();
        var next = Word(afterWord);
        if (word.Equals("set", StringComparison.OrdinalIgnoreCase))
        {
            return !(next.Equals("local", StringComparison.OrdinalIgnoreCase)
                     || next.Equals("transaction", StringComparison.OrdinalIgnoreCase)
                     || next.Equals("constraints", StringComparison.OrdinalIgnoreCase));
        }

        if (word.Equals("create", StringComparison.OrdinalIgnoreCase))
        {
            // CREATE [GLOBAL | LOCAL] {TEMP | TEMPORARY} {TABLE | VIEW | SEQUENCE} ...
            if (next.Equals("global", StringComparison.OrdinalIgnoreCase) || next.Equals("local", StringComparison.OrdinalIgnoreCase))
            {
                next = Word(afterWord[next.Length..].TrimStart());
            }

            return next.Equals("temp", StringComparison.OrdinalIgnoreCase) || next.Equals("temporary", StringComparison.OrdinalIgnoreCase);
        }

        if (word.Equals("declare", StringComparison.OrdinalIgnoreCase))
        {
            var end = rest.IndexOf(';');
            return (end < 0 ? rest : rest[..end]).Contains("with hold", StringComparison.OrdinalIgnoreCase);
        }

        return word.Equals("listen", StringComparison.OrdinalIgnoreCase) || word.Equals("load", StringComparison.OrdinalIgnoreCase);
    }

    private static bool AtStatementStart(ReadOnlySpan<char> text, int at)
    {
        var i = at - 1;
        while (i >= 0)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i--;
            }
            else if (c == '/' && i > 0 && text[i - 1] == '*')
            {
                var open = text[..(i - 1)].LastIndexOf("/*", StringComparison.Ordinal);
                if (open < 0)
                {
                    return false;
                }

                i = open - 1;
            }
            else
            {
                return c == ';';
            }
        }

        return true;
    }

    private static ReadOnlySpan<char> Word(ReadOnlySpan<char> text)
    {
        var n = 0;
        while (n < text.Length && IsIdentifierChar(text[n]))
        {
            n++;
        }

        return text[..n];
    }

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$';
}
