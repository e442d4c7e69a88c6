using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

/// <summary>What apply would do about one index.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IndexActionKind>))]
public enum IndexActionKind
{
    /// <summary>Not in the database: build it.</summary>
    Create,

    /// <summary>An index of the same name exists with another definition: build the new one, swap, drop the old.</summary>
    Rebuild,

    /// <summary>An INVALID index of the same name (a failed concurrent build): drop it and build again.</summary>
    ReplaceInvalid,

    /// <summary>Present and identical: nothing to do.</summary>
    Unchanged,

    /// <summary>An equivalent index exists under another name: nothing built, reported.</summary>
    Equivalent,

    /// <summary>A live index the catalog does not know: reported only, never dropped unasked.</summary>
    Unmanaged,
}

/// <summary>One line of a plan.</summary>
public sealed record IndexAction(
    IndexActionKind Kind,
    string Name,
    string Table,
    string Reason,
    IReadOnlyList<string> Sql,
    [property: JsonIgnore] IndexDefinition? Definition,
    [property: JsonIgnore] LiveIndex? Live)
{
    public int Priority => Definition?.Priority ?? int.MaxValue;

    /// <summary>True when apply changes something for this action.</summary>
    public bool ChangesSomething => Kind is IndexActionKind.Create or IndexActionKind.Rebuild or IndexActionKind.ReplaceInvalid;
}

/// <summary>The difference between a catalog and a database.</summary>
public sealed record IndexPlan(IReadOnlyList<IndexAction> Actions)
{
    public IEnumerable<IndexAction> Changes => Actions.Where(a => a.ChangesSomething).OrderBy(a => a.Priority).ThenBy(a => a.Name, StringComparer.Ordinal);

    public bool IsNoOp => !Actions.Any(a => a.ChangesSomething);
}
