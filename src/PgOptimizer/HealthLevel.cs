using System.Text.Json.Serialization;

namespace PgOptimizer;

/// <summary>healthy / warning / critical, in increasing order of badness: database health, alerts and index health alike.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HealthLevel>))]
public enum HealthLevel
{
    /// <summary>Nothing needs attention.</summary>
    [JsonStringEnumMemberName("healthy")]
    Healthy = 0,

    /// <summary>Degraded: look at it soon.</summary>
    [JsonStringEnumMemberName("warning")]
    Warning = 1,

    /// <summary>Failing or about to: act now.</summary>
    [JsonStringEnumMemberName("critical")]
    Critical = 2,
}
