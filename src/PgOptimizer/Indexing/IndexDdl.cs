using System.Text;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>DDL text for indexes. Identifiers are always quoted.</summary>
internal static class IndexDdl
{
    public static string Create(IndexDefinition d, string? nameOverride = null, bool concurrently = true)
    {
        ArgumentNullException.ThrowIfNull(d);
        var sb = new StringBuilder("CREATE ");
        if (d.Unique)
        {
            sb.Append("UNIQUE ");
        }

        sb.Append("INDEX ");
        if (concurrently)
        {
            sb.Append("CONCURRENTLY ");
        }

        sb.Append(PgIdentifier.Quote(nameOverride ?? d.Name)).Append(" ON ").Append(PgIdentifier.Quote(d.SchemaName, d.TableName));
        sb.Append(" USING ").Append(d.Method.ToString().ToLowerInvariant());
        sb.Append(" (").Append(string.Join(", ", d.Keys.Select(k => k.ToSql()))).Append(')');
        if (d.Include.Count > 0)
        {
            sb.Append(" INCLUDE (").Append(string.Join(", ", d.Include.Select(PgIdentifier.Quote))).Append(')');
        }

        if (d.With.Count > 0)
        {
            sb.Append(" WITH (").Append(string.Join(", ", d.With.Select(kv => $"{kv.Key} = {kv.Value}"))).Append(')');
        }

        if (!string.IsNullOrWhiteSpace(d.Where))
        {
            sb.Append(" WHERE ").Append(d.Where);
        }

        return sb.ToString();
    }

    public static string DropConcurrently(string? schema, string name) =>
        $"DROP INDEX CONCURRENTLY IF EXISTS {PgIdentifier.Quote(schema, name)}";
}
