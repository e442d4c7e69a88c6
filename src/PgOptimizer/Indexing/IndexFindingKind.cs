using System.Text.Json.Serialization;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

[JsonConverter(typeof(JsonStringEnumConverter<IndexFindingKind>))]
public enum IndexFindingKind
{
    Invalid,
    Duplicate,
    Redundant,
    Unused,
    Bloat,
    SequentialScans,
    UnindexedForeignKey,
    LowCoverage,
}
