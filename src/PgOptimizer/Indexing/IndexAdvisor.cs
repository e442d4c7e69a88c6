using System.Globalization;
using Npgsql;
using PgOptimizer.Diagnostics;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

/// <summary>
/// Recommends indexes for the whole workload: statements from pg_stat_statements (top by total
/// time), each explained with a generic plan; candidates from what its plan filters, joins and
/// sorts by (single and multi-column up to three, equality columns first by selectivity, then a
/// range or sort column; partial indexes for comparisons with constants; GIN for full-text
/// search); what-if costs from HypoPG; then a greedy choice over the whole workload: benefit =
/// time saved (total time × relative cost reduction) summed over every query an index helps, with
/// existing and already chosen indexes in place, minus an estimated write cost on busy tables.
/// It never builds anything: apply its catalog through <see cref="IndexManager.ApplyAsync"/>.
/// </summary>
internal partial class IndexAdvisor(NpgsqlDataSource dataSource, IReadOnlyList<NpgsqlDataSource> replicas, IndexingOptions options)
{
    /// <summary>A query counts as helped when its cost falls by at least this share.</summary>
    public const double MinImprovement = 0.10;

    /// <summary>At most this many indexes are recommended.</summary>
    public const int MaxRecommendations = 15;

    /// <summary>
    /// Advises for the workload in pg_stat_statements. pg_stat_statements replaces every constant with
    /// a parameter, which hides what partial and expression indexes need (status = 'active',
    /// to_tsvector('english', ...)); <paramref name="sampleQueries"/> — the application's own SQL, with
    /// its constants and $n parameters — are matched to the statements by shape and explained instead.
    /// </summary>
    public async Task<AdvisorReport> AdviseAsync(IReadOnlyList<string>? sampleQueries = null, CancellationToken ct = default)
    {
        foreach (var sample in sampleQueries ?? [])
        {
            if (!SqlStatements.IsSingle(sample))
            {
                var shown = sample.Length <= 60 ? sample : sample[..60] + "…";
                throw new PgOptimizerConfigurationException($"The sample \"{shown}\" holds more than one statement; give each statement as its own sample (one --sample each).");
            }
        }

        var samples = (sampleQueries ?? []).GroupBy(SqlNormalizer.Shape).ToDictionary(g => g.Key, g => g.First());
        await using var explainer = await GenericPlanExplainer.OpenAsync(dataSource, ct).ConfigureAwait(false);
        var conn = explainer.Connection;
        if (!await HasHypoPgAsync(conn, ct).ConfigureAwait(false))
        {
            throw new PgOptimizerConfigurationException("The index advisor needs the hypopg extension for what-if costs. Run: CREATE EXTENSION hypopg; (Debian: install postgresql-15-hypopg first).");
        }

        await ExecAsync(conn, "SELECT hypopg_reset()", ct).ConfigureAwait(false);
        // pg_qualstats keeps an example of each statement with its constants: where the caller gave
        // no sample of a statement, its example stands in (partial and expression indexes need them).
        foreach (var example in await QualstatsExamplesAsync(conn, ct).ConfigureAwait(false))
        {
            samples.TryAdd(SqlNormalizer.Shape(example), example);
        }

        var statements = await StatementStatisticsReader.ReadAsync(conn, replicas, options.WorkloadSelection, ct).ConfigureAwait(false);
        var tables = await TableFactsAsync(conn, ct).ConfigureAwait(false);
        var live = await IndexInspector.ReadAsync(conn, null, ct).ConfigureAwait(false);

        var workload = await ExplainWorkloadAsync(explainer, statements, samples, tables.Keys.ToHashSet(StringComparer.Ordinal), ct).ConfigureAwait(false);
        var candidates = CandidatesOf(workload.Queries, tables, live);
        var chosen = await ChooseGreedilyAsync(explainer, candidates, workload.WrittenRows, ct).ConfigureAwait(false);
        var attributed = await AttributeAsync(explainer, WithoutRedundant(chosen), workload.Queries, ct).ConfigureAwait(false);
        var recommendations = Recommend(attributed, workload.WrittenRows);
        var advice = new Dictionary<long, QueryAdvice>(workload.Unexplained);
        foreach (var q in workload.Queries)
        {
            advice[q.Statement.QueryId] = Verdict(q, recommendations, tables);
        }

        var ordered = statements.Where(s => advice.ContainsKey(s.QueryId)).Select(s => advice[s.QueryId]).ToList();
        return new AdvisorReport(recommendations, ordered);
    }

    /// <summary>
    /// The example statements pg_qualstats recorded with their constants, when the extension is
    /// installed in this database (one statement each; none when it is not installed).
    /// </summary>
    private static async Task<List<string>> QualstatsExamplesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var examples = new List<string>();
        await using (var check = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_qualstats')", conn))
        {
            if (!(bool)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                return examples;
            }
        }

        try
        {
            await using var cmd = new NpgsqlCommand(PgOptimizerDiagnostics.SqlMarker + "SELECT query FROM pg_qualstats_example_queries() WHERE query IS NOT NULL", conn);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var query = r.GetString(0).Trim().TrimEnd(';');
                if (SqlStatements.IsSingle(query))
                {
                    examples.Add(query);
                }
            }
        }
        catch (PostgresException)
        {
            // installed but not preloaded (shared_preload_libraries): it records nothing
        }

        return examples;
    }

    /// <summary>
    /// Phase 1: each statement's generic plan (a sample's SQL in place of the normalized one when
    /// shapes match), the tables it uses, and the rows the workload writes per table.
    /// </summary>
    private static async Task<ExplainedWorkload> ExplainWorkloadAsync(
        GenericPlanExplainer explainer, IReadOnlyList<StatementStatistics> statements, Dictionary<string, string> samples, HashSet<string> userTables, CancellationToken ct)
    {
        var unexplained = new Dictionary<long, QueryAdvice>();
        var writtenRows = new Dictionary<string, long>(StringComparer.Ordinal);
        var queries = new List<QueryState>();
        foreach (var original in statements)
        {
            var s = samples.TryGetValue(SqlNormalizer.Shape(original.Query), out var sample) ? original with { Query = sample } : original;
            var plan = await explainer.ExplainAsync(s.Query, ct).ConfigureAwait(false);
            if (!plan.Ok)
            {
                unexplained[s.QueryId] = new QueryAdvice(s.QueryId, s.Query, s.Calls, s.TotalMs, QueryVerdict.Unsupported, $"no generic plan: {plan.Error}");
                continue;
            }

            // Rows written per table, in the same statistics window as the time an index saves.
            foreach (var n in GenericPlanExplainer.Nodes(plan.Plan).Where(n => n.GetProperty("Node Type").GetString() == "ModifyTable" && n.TryGetProperty("Relation Name", out _)))
            {
                var written = n.GetProperty("Relation Name").GetString()!;
                writtenRows[written] = writtenRows.GetValueOrDefault(written) + Math.Max(s.Rows, s.Calls);
            }

            var uses = PlanPredicates.Extract(plan.Plan, userTables);
            if (uses.Count > 0) // a statement that reads no user table is not the application's workload
            {
                queries.Add(new QueryState(s, plan.TotalCost, uses));
            }
        }

        return new ExplainedWorkload(queries, writtenRows, unexplained);
    }

    /// <summary>Phase 2: candidate indexes per table, each with the queries that could use it; existing indexes left out.</summary>
    private static List<Candidate> CandidatesOf(List<QueryState> queries, Dictionary<string, TableFacts> tables, IReadOnlyList<LiveIndex> live)
    {
        var candidates = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var q in queries)
        {
            foreach (var use in q.Uses.Values)
            {
                foreach (var c in CandidatesFor(use, tables[use.Table]))
                {
                    if (live.Any(l => l.Valid && l.Table == c.Table && (IndexPlanner.Differences(c.Definition, l).Count == 0 || Leads(c.Definition, l))))
                    {
                        continue;
                    }

                    var key = c.Definition.ToCreateSql();
                    (candidates.TryGetValue(key, out var existing) ? existing : candidates[key] = c).Queries.Add(q);
                }
            }
        }

        return [.. candidates.Values];
    }

    /// <summary>
    /// Phase 3: a greedy choice over the whole workload. Each round costs every remaining candidate
    /// with HypoPG beside the indexes already chosen and keeps the one with the largest net benefit.
    /// </summary>
    private static async Task<List<Choice>> ChooseGreedilyAsync(GenericPlanExplainer explainer, List<Candidate> candidates, Dictionary<string, long> writtenRows, CancellationToken ct)
    {
        var conn = explainer.Connection;
        var chosen = new List<Choice>();
        var remaining = candidates.ToList();
        while (chosen.Count < MaxRecommendations && remaining.Count > 0)
        {
            Choice? best = null;
            foreach (var c in remaining.ToList())
            {
                var oid = await CreateHypotheticalAsync(conn, c.Definition, ct).ConfigureAwait(false);
                if (oid == 0)
                {
                    remaining.Remove(c); // HypoPG cannot model it
                    continue;
                }

                try
                {
                    var helped = new List<Improvement>();
                    foreach (var q in c.Queries.Distinct())
                    {
                        var plan = await explainer.ExplainAsync(q.Statement.Query, ct).ConfigureAwait(false);
                        if (plan.Ok && plan.TotalCost < q.CurrentCost * (1 - MinImprovement))
                        {
                            helped.Add(new Improvement(q, q.CurrentCost, plan.TotalCost));
                        }
                    }

                    var size = await ScalarLongAsync(conn, $"SELECT hypopg_relation_size({oid})", ct).ConfigureAwait(false);
                    var choice = new Choice(c, helped, helped.Sum(h => h.Query.Statement.TotalMs * (1 - h.After / h.Before)), WriteCost(writtenRows.GetValueOrDefault(c.Table), size), size);
                    if (helped.Count > 0 && choice.Net > 0 && (best is null || choice.Net > best.Net))
                    {
                        best = choice;
                    }
                }
                finally
                {
                    await ExecAsync(conn, $"SELECT hypopg_drop_index({oid})", ct).ConfigureAwait(false);
                }
            }

            if (best is null)
            {
                break;
            }

            await CreateHypotheticalAsync(conn, best.Candidate.Definition, ct).ConfigureAwait(false); // stays for the next rounds
            foreach (var h in best.Helped)
            {
                h.Query.CurrentCost = h.After;
            }

            chosen.Add(best);
            remaining.Remove(best.Candidate);
            remaining.RemoveAll(c => c.Table == best.Candidate.Table && Covers(best.Candidate, c));
        }

        return chosen;
    }

    /// <summary>Phase 4a: a chosen index that a wider chosen one covers is left out.</summary>
    private static List<Candidate> WithoutRedundant(List<Choice> chosen) =>
        chosen.Where(x => !chosen.Any(y => !ReferenceEquals(x.Candidate, y.Candidate) && y.Candidate.Table == x.Candidate.Table
                                           && y.Candidate.Definition.Keys.Count > x.Candidate.Definition.Keys.Count && Covers(y.Candidate, x.Candidate)))
            .Select(x => x.Candidate).ToList();

    /// <summary>
    /// Phase 4b: the workload costed once with exactly the final set in place; each query is
    /// attributed to the indexes its plan really uses (shared equally when it uses several).
    /// </summary>
    private static async Task<List<Attribution>> AttributeAsync(GenericPlanExplainer explainer, List<Candidate> final, List<QueryState> queries, CancellationToken ct)
    {
        var conn = explainer.Connection;
        await ExecAsync(conn, "SELECT hypopg_reset()", ct).ConfigureAwait(false);

        var byOid = new Dictionary<long, Attribution>();
        foreach (var c in final)
        {
            var oid = await CreateHypotheticalAsync(conn, c.Definition, ct).ConfigureAwait(false);
            if (oid != 0)
            {
                byOid[oid] = new Attribution(c, await ScalarLongAsync(conn, $"SELECT hypopg_relation_size({oid})", ct).ConfigureAwait(false), []);
            }
        }

        foreach (var q in queries)
        {
            var plan = await explainer.ExplainAsync(q.Statement.Query, ct).ConfigureAwait(false);
            if (!plan.Ok || plan.TotalCost >= q.BaselineCost * (1 - MinImprovement))
            {
                continue;
            }

            var used = GenericPlanExplainer.Nodes(plan.Plan)
                .Where(n => n.TryGetProperty("Index Name", out _))
                .Select(n => HypotheticalOid().Match(n.GetProperty("Index Name").GetString()!))
                .Where(m => m.Success)
                .Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                .Where(byOid.ContainsKey).Distinct().ToList();
            foreach (var oid in used)
            {
                byOid[oid].Served.Add(new Served(q, plan.TotalCost, used.Count));
            }
        }

        await ExecAsync(conn, "SELECT hypopg_reset()", ct).ConfigureAwait(false);

        return [.. byOid.Values.Where(a => a.Served.Count > 0)];
    }

    /// <summary>Phase 5: recommendations by net benefit, names made unique for a catalog.</summary>
    private static List<IndexRecommendation> Recommend(List<Attribution> attributed, Dictionary<string, long> writtenRows)
    {
        var recommendations = attributed.Select(a =>
        {
            var (c, size) = (a.Candidate, a.Size);
            var benefit = a.Served.Sum(x => x.Query.Statement.TotalMs * (1 - x.After / x.Query.BaselineCost) / x.Sharing);
            var writeCost = WriteCost(writtenRows.GetValueOrDefault(c.Table), size);
            return new IndexRecommendation(
                c.Definition.Name, c.Table,
                c.Definition.Keys.Select(k => k.Expression ?? k.Column! + (k.Descending ? " DESC" : string.Empty)).ToList(),
                c.Definition.Where, c.Definition.Method.ToString().ToLowerInvariant(),
                c.Definition.ToCreateSql(), size, Math.Round(benefit, 2), Math.Round(writeCost, 2),
                a.Served.Select(x => new RecommendedQuery(x.Query.Statement.QueryId, x.Query.Statement.Query, x.Query.Statement.Calls, Math.Round(x.Query.BaselineCost, 2), Math.Round(x.After, 2))).ToList(),
                c.Definition);
        }).OrderByDescending(r => r.Benefit - r.WriteCost).ToList();

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < recommendations.Count; i++)
        {
            var r = recommendations[i];
            var n = seen[r.Name] = seen.GetValueOrDefault(r.Name) + 1;
            if (n > 1)
            {
                var name = $"{r.Name}_{n}";
                var definition = r.Definition with { Name = name };
                recommendations[i] = r with { Name = name, Definition = definition, Ddl = definition.ToCreateSql() };
            }
        }

        return recommendations;
    }

    /// <summary>Phase 6: what the advisor concludes about one explained query, and why.</summary>
    private QueryAdvice Verdict(QueryState q, List<IndexRecommendation> recommendations, Dictionary<string, TableFacts> tables)
    {
        var s = q.Statement;
        var servedBy = recommendations.Where(r => r.Queries.Any(x => x.QueryId == s.QueryId)).ToList();
        if (servedBy.Count > 0)
        {
            var first = servedBy[0].Queries.First(x => x.QueryId == s.QueryId);
            var last = servedBy[^1].Queries.First(x => x.QueryId == s.QueryId);
            return new QueryAdvice(s.QueryId, s.Query, s.Calls, s.TotalMs, QueryVerdict.Helped,
                $"by {string.Join(" + ", servedBy.Select(r => r.Name))}: cost {first.CostBefore:F1} → {last.CostAfter:F1}");
        }

        if (!q.Uses.Values.Any(u => u.SeqScanned && tables[u.Table].Bytes >= options.SeqScanMinTableBytes))
        {
            return new QueryAdvice(s.QueryId, s.Query, s.Calls, s.TotalMs, QueryVerdict.AlreadyIndexed,
                "its plan reads no large table sequentially and no candidate lowers its cost by 10 % or more");
        }

        if (q.Uses.Values.FirstOrDefault(u => u.TextSearch.Count > 0) is { } fts)
        {
            return new QueryAdvice(s.QueryId, s.Query, s.Calls, s.TotalMs, QueryVerdict.NoUsefulIndex,
                $"its full-text condition needs a GIN index on {fts.TextSearch[0]}; HypoPG cannot cost GIN indexes, so add one to the catalog yourself (CREATE INDEX CONCURRENTLY ... ON {fts.Table} USING gin (({fts.TextSearch[0]})))");
        }

        return !q.Uses.Values.Any(u => u.HasAnything)
            ? new QueryAdvice(s.QueryId, s.Query, s.Calls, s.TotalMs, QueryVerdict.NoUsefulIndex,
                "it has no filter, join or sort column an index could serve (it reads whole tables)")
            : new QueryAdvice(s.QueryId, s.Query, s.Calls, s.TotalMs, QueryVerdict.NoUsefulIndex,
                $"no candidate index on {string.Join(", ", q.Uses.Keys)} lowers its cost by 10 % or more (its conditions match too many rows for an index to pay off, or its write cost outweighs the gain)");
    }

    /// <summary>
    /// True when an index that exists already serves everything candidate <paramref name="d"/> would:
    /// same method and the same predicate (a partial candidate can beat a full index that leads with
    /// its keys, so only an equal predicate counts), and d's keys lead its keys in the same order, all in the
    /// same direction or all reversed (a b-tree reads either way). Costed by HypoPG, such a candidate
    /// can still look cheaper than the index it repeats (a hypothetical index's size is estimated,
    /// not read), most of all for a primary-key lookup at a low random_page_cost.
    /// </summary>
    private static bool Leads(IndexDefinition d, LiveIndex l)
    {
        if (!string.Equals(d.Method.ToString(), l.Method, StringComparison.OrdinalIgnoreCase) || d.Keys.Count > l.Keys.Count
            || SqlNormalizer.Expression(d.Where) != SqlNormalizer.Expression(l.Predicate))
        {
            return false;
        }

        var reversed = d.Keys[0].Descending != l.Descending[0];
        for (var i = 0; i < d.Keys.Count; i++)
        {
            var k = d.Keys[i];
            if (k.Expression is not null || k.OpClass is not null || l.OpClasses[i] is not null
                || SqlNormalizer.Expression(k.Column) != SqlNormalizer.Expression(l.Keys[i]) || (k.Descending != l.Descending[i]) != reversed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when index a makes candidate b pointless: same table, method and predicate, and b's keys lead a's.</summary>
    private static bool Covers(Candidate a, Candidate b)
    {
        var da = a.Definition;
        var db = b.Definition;
        return da.Method == db.Method && SqlNormalizer.Expression(da.Where) == SqlNormalizer.Expression(db.Where) && db.Keys.Count <= da.Keys.Count
               && db.Keys.Select((k, i) => k == da.Keys[i]).All(x => x);
    }

    private static double WriteCost(long writtenRows, long indexBytes)
    {
        // Every row the workload writes to the table (from its INSERT/UPDATE/DELETE statements in
        // pg_stat_statements, the same window as the time saved) costs one more index entry. Price an
        // entry at 0.01 ms, more for large indexes (deeper trees, more cache misses).
        return writtenRows * 0.01 * (1 + indexBytes / (100.0 * 1024 * 1024));
    }

    private static IEnumerable<Candidate> CandidatesFor(TableUse use, TableFacts facts)
    {
        var eq = use.Equality.OrderByDescending(c => facts.Distinct.GetValueOrDefault(c, 0)).ToList();
        var constCols = use.Partial.Select(p => p.Column).ToHashSet(StringComparer.Ordinal);
        var range = use.Range.Where(r => !eq.Contains(r)).ToList();
        var sort = use.Sort.Where(s => !eq.Contains(s.Column)).ToList();
        var lists = new List<(List<IndexKey> Keys, string? Where)>();

        List<IndexKey> Keys(IEnumerable<string> cols) => cols.Distinct().Take(3).Select(c => IndexKey.Col(c)).ToList();
        void Add(List<IndexKey> keys, string? where = null)
        {
            if (keys.Count > 0)
            {
                lists.Add((keys.Take(3).ToList(), where));
            }
        }

        Add(Keys(eq));
        if (range.Count > 0)
        {
            Add(Keys(eq.Concat([range[0]])));
        }

        if (sort.Count > 0)
        {
            Add(Keys(eq).Concat(sort.Take(Math.Max(0, 3 - Math.Min(3, eq.Count))).Select(s => IndexKey.Col(s.Column, s.Descending))).ToList());
        }

        foreach (var c in eq.Concat(range).Concat(sort.Select(s => s.Column)).Distinct())
        {
            Add([IndexKey.Col(c)]);
        }

        if (use.Partial.Count > 0)
        {
            var where = string.Join(" AND ", use.Partial.Select(p => p.Predicate).Distinct());
            var rest = eq.Where(c => !constCols.Contains(c)).ToList();
            if (range.Count > 0)
            {
                Add(Keys(rest.Concat([range[0]])), where);
            }

            if (sort.Count > 0)
            {
                Add(Keys(rest).Concat(sort.Take(Math.Max(0, 3 - Math.Min(3, rest.Count))).Select(s => IndexKey.Col(s.Column, s.Descending))).ToList(), where);
            }

            if (rest.Count > 0)
            {
                Add(Keys(rest), where);
            }
        }

        var predicateColumns = use.Partial.Select(p => p.Column).Distinct().ToList();
        foreach (var (keys, where) in lists)
        {
            yield return new Candidate(use.Table, new IndexDefinition
            {
                Name = Name(use.Table, keys.Select(k => k.Column!), where is null ? [] : predicateColumns),
                Table = facts.Schema + "." + use.Table,
                Keys = keys,
                Where = where,
                Impact = "recommended by the index advisor",
            });
        }

        // Full-text conditions (expr @@ query) need a GIN expression index, which HypoPG cannot
        // model, so it cannot be costed: the verdict says so instead of guessing.
    }

    private static string Name(string table, IEnumerable<string> columns, List<string> predicateColumns)
    {
        var name = $"idx_{table}_{string.Join("_", columns)}{(predicateColumns.Count > 0 ? "_where_" + string.Join("_", predicateColumns) : string.Empty)}";
        return name.Length <= 60 ? name : name[..60];
    }

    /// <summary>Creates a hypothetical index; 0 when HypoPG refuses the definition.</summary>
    private static async Task<long> CreateHypotheticalAsync(NpgsqlConnection conn, IndexDefinition d, CancellationToken ct)
    {
        var ddl = d.ToCreateSql(concurrently: false);
        try
        {
            await using var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker + "SELECT indexrelid FROM hypopg_create_index($1)", conn);
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ddl });
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
        catch (PostgresException)
        {
            return 0;
        }
    }

    private static async Task<bool> HasHypoPgAsync(NpgsqlConnection conn, CancellationToken ct) =>
        await ScalarLongAsync(conn, "SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'", ct).ConfigureAwait(false) > 0;

    private static async Task<long> ScalarLongAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker + sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker + sql, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<Dictionary<string, TableFacts>> TableFactsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var facts = new Dictionary<string, TableFacts>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker +
            "SELECT schemaname, relname, pg_table_size(relid), n_tup_ins, n_tup_upd - n_tup_hot_upd, n_tup_del, greatest(n_live_tup, 1) FROM pg_stat_user_tables", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                facts[r.GetString(1)] = new TableFacts(r.GetString(0), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6));
            }
        }

        await using (var cmd = new NpgsqlCommand(Diagnostics.PgOptimizerDiagnostics.SqlMarker +
            "SELECT tablename, attname, n_distinct FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                if (facts.TryGetValue(r.GetString(0), out var t))
                {
                    var nd = r.GetFloat(2);
                    t.Distinct[r.GetString(1)] = nd < 0 ? -nd * t.Rows : nd; // negative: a fraction of the rows
                }
            }
        }

        return facts;
    }

    // HypoPG names its indexes "<oid>btree_table_columns".
    [System.Text.RegularExpressions.GeneratedRegex(@"^<(\d+)>")]
    private static partial System.Text.RegularExpressions.Regex HypotheticalOid();

    /// <summary>A query's shape: literals and parameters as ?, white space folded, lower case.</summary>
    /// <summary>The explained workload: queries with their plans' table uses, rows written per table, statements without a plan.</summary>
    private sealed record ExplainedWorkload(List<QueryState> Queries, Dictionary<string, long> WrittenRows, Dictionary<long, QueryAdvice> Unexplained);

    /// <summary>A query whose cost an index lowers from <paramref name="Before"/> to <paramref name="After"/>.</summary>
    private sealed record Improvement(QueryState Query, double Before, double After);

    /// <summary>A candidate costed in one greedy round: the queries it helps, time saved, write cost and size.</summary>
    private sealed record Choice(Candidate Candidate, List<Improvement> Helped, double Benefit, double WriteCost, long Size)
    {
        public double Net => Benefit - WriteCost;
    }

    /// <summary>A query a final index serves, at its cost with the final set, shared among <paramref name="Sharing"/> indexes.</summary>
    private sealed record Served(QueryState Query, double After, int Sharing);

    /// <summary>A final index with its hypothetical size and the queries whose plans use it.</summary>
    private sealed record Attribution(Candidate Candidate, long Size, List<Served> Served);

    private sealed record TableFacts(string Schema, long Bytes, long Inserts, long Updates, long Deletes, long Rows)
    {
        public Dictionary<string, double> Distinct { get; } = new(StringComparer.Ordinal);
    }

    private sealed class QueryState(StatementStatistics statement, double cost, Dictionary<string, TableUse> uses)
    {
        public StatementStatistics Statement { get; } = statement;

        public double BaselineCost { get; } = cost;

        public double CurrentCost { get; set; } = cost;

        public Dictionary<string, TableUse> Uses { get; } = uses;
    }

    private sealed class Candidate(string table, IndexDefinition definition)
    {
        public string Table { get; } = table;

        public IndexDefinition Definition { get; } = definition;

        public List<QueryState> Queries { get; } = [];
    }
}
