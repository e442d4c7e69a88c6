using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

/// <summary>The difference between a catalog and a database.</summary>
public sealed record IndexPlan(IReadOnlyList<IndexAction> Actions)
{
    public IEnumerable<IndexAction> Changes => Actions.Where(a => a.ChangesSomething).OrderBy(a => a.Priority).ThenBy(a => a.Name, StringComparer.Ordinal);

    public bool IsNoOp => !Actions.Any(a => a.ChangesSomething);
}
