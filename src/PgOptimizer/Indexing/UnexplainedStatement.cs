using System.Text.Json.Serialization;
using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

public sealed record UnexplainedStatement(long QueryId, string Query, string Reason);
