using System.Globalization;
using System.Text.Json.Serialization;
using Npgsql;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>What the advisor concluded about one query.</summary>
public sealed record QueryAdvice(long QueryId, string Query, long Calls, double TotalMs, QueryVerdict Verdict, string Reason);
