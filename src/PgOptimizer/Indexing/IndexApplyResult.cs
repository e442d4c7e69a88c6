using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Indexing;

public sealed record IndexApplyResult(string Name, string Table, IndexActionKind Action, IndexApplyOutcome Outcome, TimeSpan Elapsed, long SizeBytes, string? Error, int LockRetries);
