namespace PgOptimizer.Monitoring;

/// <summary>A table's dead tuples and vacuum state.</summary>
public sealed record TableVacuum(string Table, long LiveTuples, long DeadTuples, double DeadRatio, double? SecondsSinceVacuum);
