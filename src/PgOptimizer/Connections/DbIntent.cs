namespace PgOptimizer.Connections;

/// <summary>Where an operation may run: a read may go to a replica, a write goes to the primary.</summary>
public enum DbIntent
{
    Read,
    Write,
}
