using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

/// <summary>What happened to one action.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IndexApplyOutcome>))]
public enum IndexApplyOutcome
{
    /// <summary>Built.</summary>
    Created,

    /// <summary>Dropped and built again to match the catalog.</summary>
    Rebuilt,

    /// <summary>An invalid index was replaced by a valid one.</summary>
    Replaced,

    /// <summary>The build failed; what it left behind was cleaned up.</summary>
    Failed,

    /// <summary>Nothing to do, or a dry run.</summary>
    Skipped,
}
