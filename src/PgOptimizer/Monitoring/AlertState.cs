using System.Text.Json.Serialization;

namespace PgOptimizer.Monitoring;

/// <summary>Where an active alert stands: its condition holds but not yet for its "for" duration, or it fires.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AlertState>))]
public enum AlertState
{
    /// <summary>The condition holds, for less than the alert's "for" duration so far.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>The condition has held for the alert's "for" duration.</summary>
    [JsonStringEnumMemberName("firing")]
    Firing,
}
