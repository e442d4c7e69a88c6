using System.Text.Json;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>
/// A set of index definitions: indexes as code. Built in C# or loaded from JSON:
/// <code>
/// { "indexes": [ { "name": "idx_users_email_active", "table": "users", "columns": ["email", "is_active"],
///                  "method": "btree", "unique": false, "where": null, "include": [], "priority": 1,
///                  "impact": "...", "serves": ["login_by_email"] } ] }
/// </code>
/// A column is "name [opclass] [ASC|DESC] [NULLS FIRST|LAST]" or {"expression": "...", "opclass": "...", "order": "desc"}.
/// </summary>
public sealed class IndexCatalog
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>A catalog of <paramref name="indexes"/>, validated (unique names, supported shapes).</summary>
    public IndexCatalog(IEnumerable<IndexDefinition> indexes)
    {
        ArgumentNullException.ThrowIfNull(indexes);
        Indexes = indexes.ToList();
        ValidateShape();
    }

    /// <summary>The indexes, in the order given.</summary>
    public IReadOnlyList<IndexDefinition> Indexes { get; }

    /// <summary>Loads a catalog file.</summary>
    /// <exception cref="PgOptimizerConfigurationException">The file is missing or malformed; the message names the entry.</exception>
    public static IndexCatalog LoadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new PgOptimizerConfigurationException($"The index catalog '{path}' does not exist. Give a JSON file with {{\"indexes\": [...]}}.");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses catalog JSON.</summary>
    public static IndexCatalog Parse(string json, string source = "catalog")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new PgOptimizerConfigurationException($"The index catalog {source} is not valid JSON: {ex.Message}");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("indexes", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new PgOptimizerConfigurationException($"The index catalog {source} must be an object with an \"indexes\" array.");
            }

            var result = new List<IndexDefinition>();
            var i = 0;
            foreach (var e in list.EnumerateArray())
            {
                result.Add(ParseEntry(e, $"{source}: indexes[{i}]"));
                i++;
            }

            return new IndexCatalog(result);
        }
    }

    private static IndexDefinition ParseEntry(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new PgOptimizerConfigurationException($"{where} is not an object.");
        }

        string Req(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
            ? v.GetString()!
            : throw new PgOptimizerConfigurationException($"{where} needs a \"{name}\" string.");
        string? Opt(string name) => !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw new PgOptimizerConfigurationException($"{where}: \"{name}\" must be a string, not {v.ValueKind.ToString().ToLowerInvariant()} {Shown(v)}.");
        bool Bool(string name, bool fallback) => !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? fallback
            : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
            : throw new PgOptimizerConfigurationException($"{where}: \"{name}\" must be true or false (a JSON boolean, without quotes), not {Shown(v)}.");
        int Int(string name, int fallback, int min, int max) => !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? fallback
            : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max ? n
            : throw new PgOptimizerConfigurationException($"{where}: \"{name}\" must be a whole number from {min} to {max}, not {Shown(v)}.");
        static string Shown(JsonElement v)
        {
            var text = v.GetRawText();
            return text.Length <= 40 ? text : text[..40] + "…";
        }

        var name = Req("name");
        where = $"{where} ({name})";
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name is not ("name" or "table" or "columns" or "method" or "unique" or "where" or "include" or "with" or "priority" or "impact" or "serves"))
            {
                throw new PgOptimizerConfigurationException($"{where} has the unknown property \"{p.Name}\"; known: name, table, columns, method, unique, where, include, with, priority, impact, serves.");
            }
        }

        if (!e.TryGetProperty("columns", out var cols) || cols.ValueKind != JsonValueKind.Array || cols.GetArrayLength() == 0)
        {
            throw new PgOptimizerConfigurationException($"{where} needs a non-empty \"columns\" array.");
        }

        var keys = new List<IndexKey>();
        foreach (var c in cols.EnumerateArray())
        {
            keys.Add(c.ValueKind switch
            {
                JsonValueKind.String => IndexKey.Parse(c.GetString()!),
                JsonValueKind.Object => ParseKeyObject(c, where),
                _ => throw new PgOptimizerConfigurationException($"{where}: each column is a string or an object with \"column\" or \"expression\"."),
            });
        }

        var methodText = Opt("method") ?? "btree";
        if (!Enum.TryParse<IndexMethod>(methodText, ignoreCase: true, out var method) || int.TryParse(methodText, out _))
        {
            throw new PgOptimizerConfigurationException($"{where} has the method \"{methodText}\"; use one of btree, brin, gin, gist, hash.");
        }

        var with = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("with", out var w) && w.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in w.EnumerateObject())
            {
                with[p.Name] = p.Value.ToString();
            }
        }

        return new IndexDefinition
        {
            Name = name,
            Table = Req("table"),
            Keys = keys,
            Method = method,
            Unique = Bool("unique", false),
            Where = Opt("where"),
            Include = Strings(e, "include", where),
            With = with,
            Priority = Int("priority", 3, 1, 100),
            Impact = Opt("impact"),
            Serves = Strings(e, "serves", where),
        };
    }

    private static IndexKey ParseKeyObject(JsonElement c, string where)
    {
        string? S(string n) => c.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var column = S("column");
        var expression = S("expression");
        if ((column is null) == (expression is null))
        {
            throw new PgOptimizerConfigurationException($"{where}: a column object needs exactly one of \"column\" or \"expression\".");
        }

        var order = S("order")?.ToUpperInvariant();
        if (order is not (null or "ASC" or "DESC"))
        {
            throw new PgOptimizerConfigurationException($"{where}: \"order\" is asc or desc.");
        }

        var nulls = S("nulls")?.ToUpperInvariant();
        return new IndexKey
        {
            Column = column,
            Expression = expression,
            OpClass = S("opclass"),
            Descending = order == "DESC",
            NullsFirst = nulls switch
            {
                null => null,
                "FIRST" => true,
                "LAST" => false,
                _ => throw new PgOptimizerConfigurationException($"{where}: \"nulls\" is first or last."),
            },
        };
    }

    private static List<string> Strings(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            throw new PgOptimizerConfigurationException($"{where}: \"{name}\" is an array of strings.");
        }

        return v.EnumerateArray().Select(x => x.GetString()!).ToList();
    }

    /// <summary>Checks what can be checked without a database: names, methods and their features.</summary>
    private void ValidateShape()
    {
        var problems = new List<string>();
        foreach (var dup in Indexes.GroupBy(d => d.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"the name {dup.Key} is used {dup.Count()} times");
        }

        foreach (var d in Indexes)
        {
            if (d.Name.Length > 63)
            {
                problems.Add($"{d.Name}: the name is longer than PostgreSQL's 63-character limit");
            }

            if (d.Keys.Count == 0)
            {
                problems.Add($"{d.Name}: no columns");
            }

            foreach (var k in d.Keys)
            {
                if (k.Column is null && string.IsNullOrWhiteSpace(k.Expression))
                {
                    problems.Add($"{d.Name}: a key has neither column nor expression");
                }

                if (k.OpClass is not null && !IndexKey.IsIdentifier(k.OpClass))
                {
                    problems.Add($"{d.Name}: the operator class \"{k.OpClass}\" is not a plain identifier");
                }

                if ((k.Descending || k.NullsFirst is not null) && d.Method != IndexMethod.Btree)
                {
                    problems.Add($"{d.Name}: ASC/DESC and NULLS FIRST/LAST apply to btree indexes only, not {d.Method.ToString().ToLowerInvariant()}");
                }
            }

            foreach (var sql in d.Keys.Select(k => k.Expression).Append(d.Where).Where(x => !string.IsNullOrWhiteSpace(x)))
            {
                var bare = SqlNormalizer.Expression(sql);
                if (bare.Contains(';', StringComparison.Ordinal) || bare.Contains("--", StringComparison.Ordinal) || bare.Contains("/*", StringComparison.Ordinal))
                {
                    problems.Add($"{d.Name}: an expression or predicate may not contain ';' or comments: {sql}");
                }
            }

            if (d.Unique && d.Method != IndexMethod.Btree)
            {
                problems.Add($"{d.Name}: only btree indexes can be unique");
            }

            if (d.Include.Count > 0 && d.Method is not (IndexMethod.Btree or IndexMethod.Gist))
            {
                problems.Add($"{d.Name}: INCLUDE columns need a btree or gist index");
            }

            if (d.Method == IndexMethod.Hash && d.Keys.Count > 1)
            {
                problems.Add($"{d.Name}: hash indexes take one column");
            }

            foreach (var (k, v) in d.With)
            {
                if (!IndexKey.IsIdentifier(k) || !v.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_'))
                {
                    problems.Add($"{d.Name}: the storage parameter {k} = {v} is not a plain name and value");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new PgOptimizerConfigurationException("The index catalog is invalid: " + string.Join("; ", problems) + ".");
        }
    }

    /// <summary>The catalog as JSON (the format <see cref="Parse"/> reads).</summary>
    public string ToJson()
    {
        var items = Indexes.Select(d => new Dictionary<string, object?>
        {
            ["name"] = d.Name,
            ["table"] = d.Table,
            ["columns"] = d.Keys.Select(k => k.Expression is null && k.NullsFirst is null
                ? (object)(k.Column + (k.OpClass is null ? string.Empty : " " + k.OpClass) + (k.Descending ? " DESC" : string.Empty))
                : new Dictionary<string, object?> { ["column"] = k.Column, ["expression"] = k.Expression, ["opclass"] = k.OpClass, ["order"] = k.Descending ? "desc" : "asc", ["nulls"] = k.NullsFirst is null ? null : k.NullsFirst.Value ? "first" : "last" }
                    .Where(kv => kv.Value is not null).ToDictionary()).ToList(),
            ["method"] = d.Method.ToString().ToLowerInvariant(),
            ["unique"] = d.Unique,
            ["where"] = d.Where,
            ["include"] = d.Include,
            ["with"] = d.With.Count == 0 ? null : d.With,
            ["priority"] = d.Priority,
            ["impact"] = d.Impact,
            ["serves"] = d.Serves,
        }.Where(kv => kv.Value is not null).ToDictionary());
        return JsonSerializer.Serialize(new { indexes = items }, Indented);
    }
}
