namespace PgOptimizer.Connections;

/// <summary>How a failure bears on retrying the operation that raised it.</summary>
public enum FailureKind
{
    /// <summary>Not transient (constraint, syntax, permission, ...): never retried.</summary>
    Permanent,

    /// <summary>Cancelled by the caller or by the server on request (57014): never retried.</summary>
    Cancelled,

    /// <summary>
    /// Transient, and the server certainly did not apply the work: connecting failed, or the server
    /// rolled the transaction back (40001, 40P01, 55P03, 53xxx, 57P03). Safe to retry any operation.
    /// </summary>
    TransientNotApplied,

    /// <summary>
    /// Transient, but whether the work was applied is unknown: the connection broke mid-operation
    /// (08xxx, 57P01/57P02, I/O, timeouts) or the commit outcome is unknown (08007, 40003). Retried
    /// only for reads and for operations the caller marks idempotent.
    /// </summary>
    TransientOutcomeUnknown,
}
