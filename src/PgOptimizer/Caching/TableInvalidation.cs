namespace PgOptimizer.Caching;

/// <summary>
/// A table whose changes invalidate cache entries: the trigger sends <see cref="Columns"/> of each
/// changed row; every template in <see cref="Tags"/> (e.g. <c>pitch:{id}</c>) becomes a tag to
/// invalidate; after the listener reconnects (notifications may have been missed) the
/// <see cref="Strategies"/> are cleared wholesale.
/// </summary>
public sealed class TableInvalidation
{
    /// <summary>Table name, optionally schema-qualified (default schema public).</summary>
    public string Table { get; set; } = "";

    /// <summary>Columns sent with each change. Default: the primary key.</summary>
    public IList<string> Columns { get; set; } = [];

    /// <summary>Tag templates with {column} placeholders.</summary>
    public IList<string> Tags { get; set; } = [];

    /// <summary>
    /// The strategies that cache this table's rows: its tags are invalidated there (in every strategy
    /// when empty), and they are cleared wholesale after the listener reconnects.
    /// </summary>
    public IList<string> Strategies { get; set; } = [];
}
