using System.Text.Json.Serialization;

namespace PgOptimizer;

/// <summary>healthy / warning / critical, in increasing order of badness: database health, alerts and index health alike.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HealthLevel>))]
public enum HealthLevel
{
    [JsonStringEnumMemberName("healthy")]
    Healthy = 0,

    [JsonStringEnumMemberName("warning")]
    Warning = 1,

    [JsonStringEnumMemberName("critical")]
    Critical = 2,
}
