using System.Diagnostics;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Hosting;

/// <summary>Outcome of one doctor check.</summary>
public enum CheckStatus
{
    Ok,
    Info,
    Warning,
    Error,
}
