namespace PgOptimizer.Connections;

/// <summary>What kind of read a call is, for routing: which replicas may serve it, or the primary.</summary>
public enum QueryType
{
    /// <summary>An ordinary read: any replica in rotation, else the primary.</summary>
    ReadOnly,

    /// <summary>Long analytical reads: the replicas configured for analytics, else any replica.</summary>
    Analytics,

    /// <summary>Search: the replicas configured for search, else any replica.</summary>
    Search,

    /// <summary>Reports: the replicas configured for reporting, else any replica.</summary>
    Reporting,

    /// <summary>Must see the latest committed data: always the primary.</summary>
    Consistent,
}
