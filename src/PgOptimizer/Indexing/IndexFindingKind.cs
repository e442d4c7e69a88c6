using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

/// <summary>The kinds of index health findings.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IndexFindingKind>))]
public enum IndexFindingKind
{
    /// <summary>An index left invalid by a failed concurrent build: maintained on writes, never used.</summary>
    Invalid,

    /// <summary>Two indexes with the same definition.</summary>
    Duplicate,

    /// <summary>An index whose keys lead another index of the same table.</summary>
    Redundant,

    /// <summary>An index not scanned while the statistics covered long enough.</summary>
    Unused,

    /// <summary>An index much larger than its rows need.</summary>
    Bloat,

    /// <summary>A large table read mostly by sequential scans.</summary>
    SequentialScans,

    /// <summary>A foreign key whose referencing columns have no index.</summary>
    UnindexedForeignKey,

    /// <summary>Too little of the workload runs on plans without sequential scans of large tables.</summary>
    LowCoverage,

    /// <summary>The workload plans index-only scans on a table whose pages are mostly not all-visible, so they read the table anyway.</summary>
    HeapFetches,

    /// <summary>A table whose updates are mostly not HOT: each writes a new entry into every index of the table.</summary>
    NonHotUpdates,
}
