namespace PgOptimizer.Workload;

/// <summary>A workload: its operations and the key space they draw parameters from.</summary>
public interface IWorkload
{
    /// <summary>The workload's name, in reports.</summary>
    string Name { get; }

    /// <summary>Its operations, each with SQL, weight and parameter generator.</summary>
    IReadOnlyList<WorkloadOperation> Operations { get; }

    /// <summary>The randomness of one worker (or of a warm-up sample), anchored where the data was generated.</summary>
    WorkloadRandom CreateRandom(int seed);
}
