using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Indexing;

/// <summary>
/// Explains normalized statements ($1, $2, ... in place of values) with a generic plan: on
/// PostgreSQL 16+ with EXPLAIN (GENERIC_PLAN); on 14–15 with PREPARE, plan_cache_mode =
/// force_generic_plan and EXPLAIN EXECUTE with NULL parameters. It runs on a connection of its own
/// inside a read-only transaction that is rolled back, with its own statement names, so the
/// application's prepared statements are never touched and nothing is executed.
/// </summary>
internal partial class GenericPlanExplainer : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly bool _genericPlanOption;
    private int _counter;

    private GenericPlanExplainer(NpgsqlConnection connection, bool genericPlanOption)
    {
        _connection = connection;
        _genericPlanOption = genericPlanOption;
    }

    public static async Task<GenericPlanExplainer> OpenAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var conn = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT current_setting('server_version_num')::int", conn);
        var version = (int)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        return new GenericPlanExplainer(conn, version >= 160000);
    }

    /// <summary>The explainer's own connection (HypoPG indexes created on it are visible to its plans).</summary>
    public NpgsqlConnection Connection => _connection;

    /// <summary>True for statements a generic plan can be made for (DML and SELECT, not utility commands).</summary>
    public static bool IsExplainable(string query) => ExplainableStart().IsMatch(query);

    public async Task<ExplainedPlan> ExplainAsync(string query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!IsExplainable(query))
        {
            return new ExplainedPlan(0, default, "not a SELECT, INSERT, UPDATE or DELETE statement");
        }

        query = RepairTypedLiterals(query);
        var parameters = ParameterCount(query);
        var name = $"pgopt_explain_{Interlocked.Increment(ref _counter)}";
        await using var tx = await _connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        try
        {
            await ExecAsync("SET TRANSACTION READ ONLY", tx, ct).ConfigureAwait(false);
            string explain;
            if (_genericPlanOption)
            {
                explain = PgOptimizerDiagnostics.SqlMarker + "EXPLAIN (GENERIC_PLAN, FORMAT JSON) " + query;
            }
            else
            {
                await ExecAsync("SET LOCAL plan_cache_mode = force_generic_plan", tx, ct).ConfigureAwait(false);
                await ExecAsync($"{PgOptimizerDiagnostics.SqlMarker}PREPARE {name} AS {query}", tx, ct).ConfigureAwait(false);
                explain = $"{PgOptimizerDiagnostics.SqlMarker}EXPLAIN (FORMAT JSON) EXECUTE {name}" + (parameters > 0 ? "(" + string.Join(", ", Enumerable.Repeat("NULL", parameters)) + ")" : string.Empty);
            }

            await using var cmd = new NpgsqlCommand(explain, _connection, tx);
            var json = (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            using var doc = JsonDocument.Parse(json);
            var plan = doc.RootElement[0].GetProperty("Plan").Clone();
            return new ExplainedPlan(plan.GetProperty("Total Cost").GetDouble(), plan, null);
        }
        catch (PostgresException ex)
        {
            return new ExplainedPlan(0, default, $"{ex.SqlState}: {ex.MessageText}");
        }
        finally
        {
            await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            // PREPARE is not transactional: the rollback keeps it, so deallocate it explicitly.
            if (!_genericPlanOption)
            {
                await ExecAsync($"DEALLOCATE {name}", null, CancellationToken.None, ignoreErrors: true).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// pg_stat_statements replaces the constant of a typed literal (<c>interval '5 days'</c>,
    /// <c>date '2026-01-01'</c>) by a parameter, leaving <c>interval $2</c>, which does not parse;
    /// as <c>$2::interval</c> it does, with the same type.
    /// </summary>
    internal static string RepairTypedLiterals(string query) =>
        TypedLiteral().Replace(query, m => $"${m.Groups["n"].Value}::{string.Join(' ', m.Groups["type"].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))}");

    internal static int ParameterCount(string query) =>
        ParameterRef().Matches(query).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    /// <summary>Every node of a plan, depth first.</summary>
    public static IEnumerable<JsonElement> Nodes(JsonElement plan)
    {
        yield return plan;
        if (plan.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var n in Nodes(child))
                {
                    yield return n;
                }
            }
        }
    }

    private async Task ExecAsync(string sql, NpgsqlTransaction? tx, CancellationToken ct, bool ignoreErrors = false)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(sql, _connection, tx);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException) when (ignoreErrors)
        {
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    [GeneratedRegex(@"^\s*(WITH\b|SELECT\b|INSERT\b|UPDATE\b|DELETE\b|TABLE\b|VALUES\b|\()", RegexOptions.IgnoreCase)]
    private static partial Regex ExplainableStart();

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex ParameterRef();

    [GeneratedRegex(@"(?<![\w.""$])(?<type>interval|date|timestamptz|timestamp(?:\s+with(?:out)?\s+time\s+zone)?|timetz|time(?:\s+with(?:out)?\s+time\s+zone)?|numeric|decimal|bigint|smallint|integer|int[248]?|real|float[48]|double\s+precision|boolean|bool|uuid|jsonb?|text|bytea|inet|cidr)\s+\$(?<n>\d+)(?!\d)", RegexOptions.IgnoreCase)]
    private static partial Regex TypedLiteral();
}
