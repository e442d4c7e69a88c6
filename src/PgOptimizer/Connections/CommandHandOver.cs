namespace PgOptimizer.Connections;

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
