namespace PgOptimizer.Indexing;

/// <summary>Progress of one index build, from pg_stat_progress_create_index.</summary>
public readonly record struct IndexBuildProgress(string Index, int Number, int Total, string Phase, long BlocksDone, long BlocksTotal, long TuplesDone, long TuplesTotal)
{
    /// <summary>0–1 within this build (blocks while scanning, tuples while sorting/loading).</summary>
    public double Fraction => BlocksTotal > 0 && TuplesTotal <= 0 ? (double)BlocksDone / BlocksTotal
        : TuplesTotal > 0 ? (double)TuplesDone / TuplesTotal
        : BlocksTotal > 0 ? (double)BlocksDone / BlocksTotal : 0;
}
