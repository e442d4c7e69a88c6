using System.Text.Json.Serialization;

namespace PgOptimizer.Indexing;

/// <summary>What the advisor concluded about a statement.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<QueryVerdict>))]
public enum QueryVerdict
{
    /// <summary>A recommended index lowers its cost.</summary>
    Helped,

    /// <summary>Its plan reads no large table sequentially and no candidate helps.</summary>
    AlreadyIndexed,

    /// <summary>No index the advisor can cost would pay off.</summary>
    NoUsefulIndex,

    /// <summary>No generic plan could be made for it.</summary>
    Unsupported,
}
