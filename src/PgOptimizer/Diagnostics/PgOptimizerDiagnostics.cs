using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PgOptimizer.Diagnostics;

/// <summary>The one place for PgOptimizer's Meter and ActivitySource names and instruments.</summary>
public static class PgOptimizerDiagnostics
{
    /// <summary>Name of the Meter and ActivitySource; subscribe to it with OpenTelemetry.</summary>
    public const string Name = "PgOptimizer";

    /// <summary>
    /// Leading comment on PgOptimizer's own catalog queries, so that workload analysis
    /// (pg_stat_statements) can leave them out.
    /// </summary>
    public const string SqlMarker = "/* pgoptimizer */ ";

    internal static readonly Meter Meter = new(Name, typeof(PgOptimizerDiagnostics).Assembly.GetName().Version?.ToString());

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Counter<long> Retries =
        Meter.CreateCounter<long>("pgopt.db.retries", unit: "{retry}", description: "Operations retried after a transient failure.");

    internal static readonly Counter<long> SessionResets =
        Meter.CreateCounter<long>("pgopt.db.session.resets", unit: "{reset}", description: "Sessions the connection manager reset after a call that changed them, per endpoint.");

    internal static readonly Counter<long> CircuitTransitions =
        Meter.CreateCounter<long>("pgopt.db.circuit.transitions", unit: "{transition}", description: "Circuit breaker state changes per endpoint.");

    internal static readonly Histogram<double> ConnectionWait =
        Meter.CreateHistogram<double>("pgopt.db.connection.wait", unit: "s", description: "Time to get a connection from an endpoint's pool.");

    internal static readonly Histogram<double> QueryDuration =
        Meter.CreateHistogram<double>("pgopt.db.query.duration", unit: "s", description: "Duration of commands as the application saw them, per endpoint.");

    internal static readonly Counter<long> QueryErrors =
        Meter.CreateCounter<long>("pgopt.db.query.errors", unit: "{command}", description: "Commands that failed, per endpoint.");

    internal static readonly Counter<long> SlowQueries =
        Meter.CreateCounter<long>("pgopt.db.query.slow", unit: "{command}", description: "Commands slower than the slow-query threshold, per endpoint.");

    internal static readonly Counter<long> AlertTransitions =
        Meter.CreateCounter<long>("pgopt.alert.transitions", unit: "{transition}", description: "Alert state changes, per alert and new level.");
}
