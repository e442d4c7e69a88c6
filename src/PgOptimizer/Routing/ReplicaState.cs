namespace PgOptimizer.Routing;

/// <summary>Where a replica stands in routing.</summary>
public enum ReplicaState
{
    /// <summary>Takes reads.</summary>
    InRotation,

    /// <summary>Behind the lag limits: out of rotation until it catches up (minus the hysteresis margin).</summary>
    Lagging,

    /// <summary>The lag probe cannot reach it: out of rotation.</summary>
    Unreachable,

    /// <summary>Its circuit is open: no reads but one probe per break duration.</summary>
    CircuitOpen,

    /// <summary>Its circuit is half-open: a probe read decides.</summary>
    Probing,
}
