using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace PgOptimizer.Connections;

/// <summary>Connections of one endpoint currently handed out, with their command clocks.</summary>
internal sealed class CommandTimer(PgEndpoint endpoint)
{
    // Every call adds and removes its connection: with the default lock count (one per core) the
    // callers of a busy endpoint queue on a few locks.
    private readonly ConcurrentDictionary<NpgsqlConnection, CommandClock> _open = new(concurrencyLevel: 64, capacity: 256, ReferenceEqualityComparer.Instance);

    public ICommandObserver? Observer;

    public CommandClock? Track(NpgsqlConnection connection)
    {
        if (Observer is null && !endpoint.ResetsChangedSessions)
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
        if (Observer is null && !endpoint.ResetsChangedSessions)
        {
            return true;
        }

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
        if (connection is not null && _open.TryGetValue(connection, out var clock))
        {
            if (!clock.ChangesSession && endpoint.ResetsChangedSessions && SessionStatements.ChangesSession(sql))
            {
                clock.ChangesSession = true; // the manager resets the session before the connection goes back
            }

            if (observer is null)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (clock.Sql is { } previous)
            {
                observer.OnCommandCompleted(endpoint, previous, now - clock.Started, null);
            }

            clock.Sql = sql;
            clock.Started = now;
            CommandHandOver.Set(PendingCommand.Timed, observer);
        }
        else if (observer is not null)
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
