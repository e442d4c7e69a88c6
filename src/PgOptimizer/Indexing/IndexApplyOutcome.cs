using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

/// <summary>What happened to one action.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IndexApplyOutcome>))]
public enum IndexApplyOutcome
{
    Created,
    Rebuilt,
    Replaced,
    Failed,
    Skipped,
}
