using System.Diagnostics;

namespace PgOptimizer.Connections;

/// <summary>
/// Receives every command run on a connection the connection manager handed out, timed by the
/// manager itself: from the command's start (Npgsql's command filter, called synchronously when
/// the command starts) to the start of the next command on the connection or the end of the
/// operation, which is when the results have been read.
/// </summary>
public interface ICommandObserver
{
    /// <param name="endpoint">Where the command ran.</param>
    /// <param name="sql">The command text (parameter values are never part of it).</param>
    /// <param name="elapsedTicks"><see cref="Stopwatch"/> ticks.</param>
    /// <param name="errorCode">SQLSTATE (or "error", "timeout") when the operation failed in this command; else null (also when the caller cancelled).</param>
    void OnCommandCompleted(PgEndpoint endpoint, string sql, long elapsedTicks, string? errorCode);
}
