namespace PgOptimizer.Connections;

/// <summary>The command in flight on one connection the manager handed out.</summary>
internal sealed class CommandClock
{
    public string? Sql;
    public long Started;

    /// <summary>A command of the call may have changed its session (<see cref="SessionStatements"/>).</summary>
    public bool ChangesSession;
}
