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
