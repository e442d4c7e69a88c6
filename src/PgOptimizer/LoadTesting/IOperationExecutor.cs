using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Runs one workload operation; returns the rows it read or wrote. Reads are materialized as the JSON
/// an API would answer with, so that every executor does an application's work per read (and a cache
/// stores that, not a row count).
/// </summary>
public interface IOperationExecutor
{
    /// <summary>The executor's name, in reports.</summary>
    string Name { get; }

    /// <summary>Runs a write (or a read whose rows are not needed) and returns the rows it affected or read.</summary>
    ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken);

    /// <summary>Runs a read and returns its rows as JSON.</summary>
    ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken);
}
