namespace PgOptimizer.Samples.Pitches;

/// <summary>The demo platform's index catalog: the 29 indexes its workload needs.</summary>
public static class PitchesIndexes
{
    /// <summary>The catalog as JSON (also usable with --catalog after 'pgopt indexes catalog').</summary>
    public static string Json => DemoSql.Read("indexes.json");

    public static PgOptimizer.Indexing.IndexCatalog Catalog => PgOptimizer.Indexing.IndexCatalog.Parse(Json, "the demo catalog");
}
