using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

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
    /// <summary>The catalog priority of the index (lower builds first).</summary>
    public int Priority => Definition?.Priority ?? int.MaxValue;

    /// <summary>True when apply changes something for this action.</summary>
    public bool ChangesSomething => Kind is IndexActionKind.Create or IndexActionKind.Rebuild or IndexActionKind.ReplaceInvalid;
}
