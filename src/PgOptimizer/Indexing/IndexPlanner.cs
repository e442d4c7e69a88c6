using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>
/// Compares a catalog with the live database semantically: structure from pg_index (method,
/// uniqueness, keys with order, nulls and operator class, INCLUDE columns, predicate), with
/// expressions and predicates normalized, never by comparing CREATE INDEX strings.
/// </summary>
internal static class IndexPlanner
{
    /// <summary>Builds the plan. Call <see cref="IndexValidator.ValidateAsync"/> first.</summary>
    public static async Task<IndexPlan> PlanAsync(NpgsqlConnection connection, IndexCatalog catalog, IReadOnlyDictionary<string, string> schemaOfTable, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(schemaOfTable);
        var schemas = schemaOfTable.Values.Distinct().ToList();
        var live = await IndexInspector.ReadAsync(connection, schemas, cancellationToken).ConfigureAwait(false);
        return Plan(catalog, live, schemaOfTable);
    }

    /// <summary>The pure comparison (no database).</summary>
    public static IndexPlan Plan(IndexCatalog catalog, IReadOnlyList<LiveIndex> live, IReadOnlyDictionary<string, string> schemaOfTable)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(schemaOfTable);
        var actions = new List<IndexAction>();
        var matchedLive = new HashSet<LiveIndex>();
        var tables = new HashSet<string>(StringComparer.Ordinal);

        foreach (var d in catalog.Indexes)
        {
            var schema = d.SchemaName ?? schemaOfTable[d.Table];
            var table = $"{schema}.{d.TableName}";
            tables.Add(table);
            var onTable = live.Where(l => l.Schema == schema && l.Table == d.TableName).ToList();
            var sameName = live.FirstOrDefault(l => l.Schema == schema && l.Name == d.Name);
            var create = d.ToCreateSql();

            if (sameName is not null)
            {
                matchedLive.Add(sameName);
                if (!sameName.Valid)
                {
                    actions.Add(new IndexAction(IndexActionKind.ReplaceInvalid, d.Name, table,
                        "an INVALID index of this name is left from a failed concurrent build",
                        [IndexDdl.DropConcurrently(schema, d.Name), create], d, sameName));
                }
                else if (sameName.Table != d.TableName)
                {
                    throw new PgOptimizerConfigurationException(
                        $"The catalog's index {d.Name} is meant for {table}, but an index of that name exists on {sameName.QualifiedTable}. Rename the catalog entry; nothing was changed.");
                }
                else if (Differences(d, sameName) is { Count: > 0 } diff)
                {
                    actions.Add(new IndexAction(IndexActionKind.Rebuild, d.Name, table,
                        "definition differs: " + string.Join("; ", diff),
                        RebuildSql(d, schema), d, sameName));
                }
                else
                {
                    actions.Add(new IndexAction(IndexActionKind.Unchanged, d.Name, table, "present and identical", [], d, sameName));
                }

                continue;
            }

            var equivalent = onTable.FirstOrDefault(l => l.Valid && Differences(d, l).Count == 0);
            if (equivalent is not null)
            {
                matchedLive.Add(equivalent);
                actions.Add(new IndexAction(IndexActionKind.Equivalent, d.Name, table,
                    $"an equivalent index exists as {equivalent.Name}; rename it to adopt it: ALTER INDEX {PgIdentifier.Quote(schema, equivalent.Name)} RENAME TO {PgIdentifier.Quote(d.Name)}",
                    [], d, equivalent));
                continue;
            }

            actions.Add(new IndexAction(IndexActionKind.Create, d.Name, table, "not in the database", [create], d, null));
        }

        foreach (var l in live.Where(l => tables.Contains(l.QualifiedTable) && !matchedLive.Contains(l)))
        {
            var what = l.Primary ? "primary key" : l.IsConstraint ? "constraint index" : l.Valid ? "not in the catalog" : "INVALID and not in the catalog";
            actions.Add(new IndexAction(IndexActionKind.Unmanaged, l.Name, l.QualifiedTable, what, [], null, l));
        }

        return new IndexPlan(actions);
    }

    /// <summary>What differs between a definition and a live index; empty when equivalent.</summary>
    public static IReadOnlyList<string> Differences(IndexDefinition d, LiveIndex l)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(l);
        var diff = new List<string>();
        var method = d.Method.ToString().ToLowerInvariant();
        if (method != l.Method)
        {
            diff.Add($"method {l.Method} → {method}");
        }

        if (d.Unique != l.Unique)
        {
            diff.Add(d.Unique ? "not unique → unique" : "unique → not unique");
        }

        var wantKeys = d.Keys.Select(k => SqlNormalizer.Expression(k.Expression ?? k.Column)).ToList();
        var haveKeys = l.Keys.Select(SqlNormalizer.Expression).ToList();
        if (!wantKeys.SequenceEqual(haveKeys))
        {
            diff.Add($"keys ({string.Join(", ", l.Keys)}) → ({string.Join(", ", d.Keys.Select(k => k.Expression ?? k.Column))})");
        }
        else
        {
            for (var i = 0; i < d.Keys.Count; i++)
            {
                var k = d.Keys[i];
                var nullsFirst = k.NullsFirst ?? k.Descending; // PostgreSQL's default: NULLS FIRST for DESC
                if (k.Descending != l.Descending[i] || nullsFirst != l.NullsFirst[i])
                {
                    diff.Add($"order of {l.Keys[i]}");
                }

                if (!string.Equals(k.OpClass, l.OpClasses[i], StringComparison.OrdinalIgnoreCase) && !(k.OpClass is not null && l.OpClasses[i] is null && IsDefaultOpClassName(k.OpClass)))
                {
                    diff.Add($"operator class of {l.Keys[i]}: {l.OpClasses[i] ?? "default"} → {k.OpClass ?? "default"}");
                }
            }
        }

        var wantInclude = d.Include.Select(SqlNormalizer.Expression).ToList();
        var haveInclude = l.Include.Select(SqlNormalizer.Expression).ToList();
        if (!wantInclude.SequenceEqual(haveInclude))
        {
            diff.Add($"INCLUDE ({string.Join(", ", l.Include)}) → ({string.Join(", ", d.Include)})");
        }

        if (SqlNormalizer.Expression(d.Where) != SqlNormalizer.Expression(l.Predicate))
        {
            diff.Add($"predicate {l.Predicate ?? "(none)"} → {d.Where ?? "(none)"}");
        }

        return diff;
    }

    // A catalog may name the default operator class explicitly (e.g. jsonb_ops for GIN on jsonb).
    private static bool IsDefaultOpClassName(string opClass) =>
        opClass.Equals("jsonb_ops", StringComparison.OrdinalIgnoreCase) || opClass.EndsWith("_minmax_ops", StringComparison.OrdinalIgnoreCase);

    private static List<string> RebuildSql(IndexDefinition d, string schema)
    {
        var temp = TempName(d.Name);
        return
        [
            IndexDdl.DropConcurrently(schema, temp),
            d.ToCreateSql(temp),
            IndexDdl.DropConcurrently(schema, d.Name),
            $"ALTER INDEX {PgIdentifier.Quote(schema, temp)} RENAME TO {PgIdentifier.Quote(d.Name)}",
        ];
    }

    internal static string TempName(string name)
    {
        const string suffix = "_pgopt_new";
        return (name.Length + suffix.Length > 63 ? name[..(63 - suffix.Length)] : name) + suffix;
    }
}
