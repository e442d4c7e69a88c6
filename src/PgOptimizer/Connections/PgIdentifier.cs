using System.Text;

namespace PgOptimizer.Connections;

/// <summary>
/// A possibly schema-qualified name of a table, index or function: <c>users</c>, <c>app.users</c>,
/// <c>"My Schema"."Users"</c>. Parts in double quotes are taken literally (<c>""</c> is a quote);
/// unquoted parts are taken as written (not folded to lower case, spaces kept), so a name matches
/// <c>pg_class.relname</c> as stored. A dot always separates schema and name unless it is quoted.
/// </summary>
/// <param name="Schema">The schema, or null when the name is not qualified.</param>
/// <param name="Name">The object's own name, unquoted.</param>
public readonly record struct PgIdentifier(string? Schema, string Name)
{
    /// <summary>Parses <c>name</c> or <c>schema.name</c>, each part optionally double-quoted.</summary>
    /// <exception cref="PgOptimizerConfigurationException">The text is not such a name.</exception>
    public static PgIdentifier Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<string>(2);
        var i = 0;
        var s = text.Trim();
        while (true)
        {
            var part = new StringBuilder();
            if (i < s.Length && s[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        throw Invalid(text, "a double quote is not closed");
                    }

                    if (s[i] == '"')
                    {
                        if (i + 1 < s.Length && s[i + 1] == '"')
                        {
                            part.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    part.Append(s[i++]);
                }
            }
            else
            {
                while (i < s.Length && s[i] != '.')
                {
                    if (s[i] == '"')
                    {
                        throw Invalid(text, "a quote inside a name needs the whole part in double quotes, with the quote doubled");
                    }

                    part.Append(s[i++]);
                }
            }

            if (part.Length == 0)
            {
                throw Invalid(text, "a part of the name is empty");
            }

            parts.Add(part.ToString());
            if (i >= s.Length)
            {
                break;
            }

            if (s[i] != '.' || parts.Count == 2)
            {
                throw Invalid(text, "expected name or schema.name");
            }

            i++;
        }

        return parts.Count == 1 ? new PgIdentifier(null, parts[0]) : new PgIdentifier(parts[0], parts[1]);
    }

    /// <summary>This name with <paramref name="schema"/> when it has none of its own.</summary>
    public PgIdentifier WithDefaultSchema(string schema) => Schema is null ? this with { Schema = schema } : this;

    /// <summary>The name as SQL: every part quoted.</summary>
    public string ToSql() => Schema is null ? Quote(Name) : Quote(Schema) + "." + Quote(Name);

    /// <summary>The name for people: <c>schema.name</c>, unquoted.</summary>
    public override string ToString() => Schema is null ? Name : Schema + "." + Name;

    /// <summary>Quotes one identifier for PostgreSQL (doubling any quote inside it).</summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Quotes a name and, when given, its schema: (app, users) → "app"."users".</summary>
    public static string Quote(string? schema, string name) => new PgIdentifier(schema, name).ToSql();

    private static PgOptimizerConfigurationException Invalid(string text, string why) =>
        new($"'{text}' is not a table or object name ({why}); write name, schema.name or \"Quoted Name\".");
}
