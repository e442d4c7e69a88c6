using System.Text.Json.Serialization;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

public sealed record CoverageStatement(long QueryId, string Query, long Calls, double TotalMs, IReadOnlyList<string> SeqScannedTables);
