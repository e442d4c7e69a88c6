namespace PgOptimizer.Connections;

/// <summary>What Npgsql's command filter saw, for the activity listener deciding right after it.</summary>
internal enum PendingCommand
{
    None,

    /// <summary>The connection manager times this command: no activity needed.</summary>
    Timed,

    /// <summary>A command of a manager's data source on a connection opened directly, not through the manager.</summary>
    Untimed,
}
