namespace PgOptimizer;

/// <summary>
/// An <see cref="IProgress{T}"/> that reports on the caller's thread, in order.
/// <see cref="Progress{T}"/> posts each report to the thread pool (without a synchronization
/// context), which may reorder reports and deliver them after the work has finished.
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
