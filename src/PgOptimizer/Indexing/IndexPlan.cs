namespace PgOptimizer.Indexing;

/// <summary>The difference between a catalog and a database.</summary>
public sealed record IndexPlan(IReadOnlyList<IndexAction> Actions)
{
    /// <summary>The actions that change something, by priority then name.</summary>
    public IEnumerable<IndexAction> Changes => Actions.Where(a => a.ChangesSomething).OrderBy(a => a.Priority).ThenBy(a => a.Name, StringComparer.Ordinal);

    /// <summary>True when applying the plan changes nothing.</summary>
    public bool IsNoOp => !Actions.Any(a => a.ChangesSomething);
}
