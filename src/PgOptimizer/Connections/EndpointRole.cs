namespace PgOptimizer.Connections;

/// <summary>The role of an endpoint.</summary>
public enum EndpointRole
{
    /// <summary>The read-write server.</summary>
    Primary,

    /// <summary>A read-only standby.</summary>
    Replica,
}
