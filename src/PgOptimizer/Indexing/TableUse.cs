namespace PgOptimizer.Indexing;

/// <summary>What a plan says one table is filtered, joined and sorted by.</summary>
internal sealed class TableUse(string table)
{
    public string Table { get; } = table;

    /// <summary>Columns compared with = to a parameter, a constant or another table's column.</summary>
    public List<string> Equality { get; } = [];

    /// <summary>Columns compared with &lt;, &lt;=, &gt;, &gt;=.</summary>
    public List<string> Range { get; } = [];

    /// <summary>Sort keys (column, descending).</summary>
    public List<(string Column, bool Descending)> Sort { get; } = [];

    /// <summary>Conditions a partial index could carry: col = 'constant', col IS [NOT] NULL, [NOT] boolcol.</summary>
    public List<(string Column, string Predicate)> Partial { get; } = [];

    /// <summary>Expressions searched with @@ (full text): GIN expression candidates.</summary>
    public List<string> TextSearch { get; } = [];

    public bool SeqScanned { get; set; }

    public bool HasAnything => Equality.Count + Range.Count + Sort.Count + Partial.Count + TextSearch.Count > 0;
}
