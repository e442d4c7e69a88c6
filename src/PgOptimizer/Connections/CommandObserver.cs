using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

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

/// <summary>What Npgsql's command filter saw, for the activity listener deciding right after it.</summary>
internal enum PendingCommand
{
    None,

    /// <summary>The connection manager times this command: no activity needed.</summary>
    Timed,

    /// <summary>A command of a manager's data source on a connection opened directly, not through the manager.</summary>
    Untimed,
}

/// <summary>
/// Per-thread hand-over between an endpoint's command filter and the listener's sampling
/// decision, which Npgsql calls synchronously one after the other when a command starts.
/// </summary>
internal static class CommandHandOver
{
    [ThreadStatic]
    private static PendingCommand t_kind;

    [ThreadStatic]
    private static object? t_observer;

    public static void Set(PendingCommand kind, object? observer)
    {
        t_kind = kind;
        t_observer = observer;
    }

    /// <summary>Takes the pending decision when it belongs to <paramref name="observer"/>.</summary>
    public static PendingCommand TakeFor(object observer)
    {
        if (!ReferenceEquals(t_observer, observer))
        {
            return PendingCommand.None;
        }

        var kind = t_kind;
        t_kind = PendingCommand.None;
        t_observer = null;
        return kind;
    }
}

/// <summary>The command in flight on one connection the manager handed out.</summary>
internal sealed class CommandClock
{
    public string? Sql;
    public long Started;
}

/// <summary>Connections of one endpoint currently handed out, with their command clocks.</summary>
internal sealed class CommandTimer(PgEndpoint endpoint)
{
    private readonly ConcurrentDictionary<NpgsqlConnection, CommandClock> _open = new(ReferenceEqualityComparer.Instance);

    public ICommandObserver? Observer;

    public CommandClock? Track(NpgsqlConnection connection)
    {
        if (Observer is null)
        {
            return null;
        }

        var clock = new CommandClock();
        _open[connection] = clock;
        return clock;
    }

    public void Untrack(NpgsqlConnection connection, CommandClock clock, Exception? failure)
    {
        _open.TryRemove(connection, out _);
        if (clock.Sql is { } sql && Observer is { } observer)
        {
            observer.OnCommandCompleted(endpoint, sql, Stopwatch.GetTimestamp() - clock.Started, ErrorCode(failure));
        }
    }

    /// <summary>Npgsql's command filter: never filters, only notes the start.</summary>
    public bool OnCommandStart(NpgsqlCommand command)
    {
        // a command created by NpgsqlDataSource.CreateCommand (a subclass) runs on a connection of
        // its own and throws on .Connection: never one the manager handed out
        Started(command.GetType() == typeof(NpgsqlCommand) ? command.Connection : null, command.CommandText);
        return true;
    }

    public bool OnBatchStart(NpgsqlBatch batch)
    {
        var texts = new List<string>(batch.BatchCommands.Count);
        foreach (var command in batch.BatchCommands)
        {
            texts.Add(command.CommandText);
        }

        Started(batch.GetType() == typeof(NpgsqlBatch) ? batch.Connection : null, string.Join("; ", texts));
        return true;
    }

    private void Started(NpgsqlConnection? connection, string sql)
    {
        var observer = Observer;
        if (observer is null)
        {
            return;
        }

        if (connection is not null && _open.TryGetValue(connection, out var clock))
        {
            var now = Stopwatch.GetTimestamp();
            if (clock.Sql is { } previous)
            {
                observer.OnCommandCompleted(endpoint, previous, now - clock.Started, null);
            }

            clock.Sql = sql;
            clock.Started = now;
            CommandHandOver.Set(PendingCommand.Timed, observer);
        }
        else
        {
            CommandHandOver.Set(PendingCommand.Untimed, observer);
        }
    }

    private static string? ErrorCode(Exception? failure) => failure switch
    {
        null => null,
        PostgresException pg => pg.SqlState,
        NpgsqlException { InnerException: TimeoutException } => "timeout",
        OperationCanceledException => null, // the caller gave up: not the command's failure (a statement timeout is 57014)
        NpgsqlException => "error",
        _ => null, // the application's own exception, not the command's
    };
}
