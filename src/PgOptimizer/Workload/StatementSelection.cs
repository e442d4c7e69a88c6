namespace PgOptimizer.Workload;

/// <summary>Which statements <see cref="StatementStatisticsReader"/> returns.</summary>
public sealed record StatementSelection
{
    /// <summary>Statements monitoring reads: the top 500 by total time, PgOptimizer's own catalog queries left out.</summary>
    public static StatementSelection Monitoring { get; } = new();

    /// <summary>At most this many statements, the most total time first. Default 500.</summary>
    public int Top { get; init; } = 500;

    /// <summary>Statements called fewer times (over all servers) are left out. Default 1.</summary>
    public long MinCalls { get; init; } = 1;

    /// <summary>Statements with less total time in milliseconds (over all servers) are left out. Default 0.</summary>
    public double MinTotalMs { get; init; }

    /// <summary>
    /// Only the application's planable statements: leaves out utility commands (BEGIN, SET, CREATE,
    /// VACUUM, …), Npgsql's type loading and queries of pg_stat_statements or HypoPG. Default false.
    /// </summary>
    public bool PlannableOnly { get; init; }
}
