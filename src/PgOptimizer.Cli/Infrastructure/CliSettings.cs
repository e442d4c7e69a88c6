using System.ComponentModel;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>Options every command that talks to a database takes.</summary>
public class DatabaseSettings : CommandSettings
{
    [CommandOption("-c|--connection <CONNECTION>")]
    [Description("Primary database: postgresql:// URI or Npgsql Key=Value string. Default: $PGOPT_CONNECTION, then $NEON_DATABASE_URL, then appsettings.json.")]
    public string? Connection { get; init; }

    [CommandOption("--replica <CONNECTION>")]
    [Description("A read replica (repeat for several). Default: $PGOPT_REPLICA_CONNECTIONS (space-separated).")]
    public string[]? Replicas { get; init; }

    [CommandOption("--redis <URL>")]
    [Description("Redis: redis://[[user:password@]]host:port/db or rediss://. Default: $REDIS_URL.")]
    public string? Redis { get; init; }

    [CommandOption("--config <FILE>")]
    [Description("An appsettings.json with a PgOptimizer section. Default: ./appsettings.json when present.")]
    public string? ConfigFile { get; init; }

    [CommandOption("--json")]
    [Description("Machine-readable JSON on stdout instead of tables.")]
    public bool Json { get; init; }

    [CommandOption("-v|--verbose")]
    [Description("Log retries, circuit changes and other events to stderr.")]
    public bool Verbose { get; init; }
}
