namespace PgOptimizer.Connections;

/// <summary>Where an operation may run: a read may go to a replica, a write goes to the primary.</summary>
public enum DbIntent
{
    /// <summary>Reads: may run on a replica.</summary>
    Read,

    /// <summary>Writes and reads that must see the latest data: the primary.</summary>
    Write,
}
