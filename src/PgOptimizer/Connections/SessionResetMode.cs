namespace PgOptimizer.Connections;

/// <summary>When a connection the manager handed out is reset before it goes back to the pool.</summary>
public enum SessionResetMode
{
    /// <summary>
    /// Only after a call that may have changed the session: one whose SQL sets a session setting,
    /// role or authorization, LISTENs, takes a session advisory lock, creates a temporary table or
    /// declares a cursor WITH HOLD (seen in each command's text), or one that asked with
    /// <see cref="PgCallOptions.ResetSession"/>. Every other call's connection goes back as it is,
    /// which spares the server the reset statements Npgsql would otherwise run before the next
    /// command on it. The default.
    /// </summary>
    WhenChanged,

    /// <summary>Npgsql's own behaviour: every connection is reset when it goes back to the pool.</summary>
    Always,
}
