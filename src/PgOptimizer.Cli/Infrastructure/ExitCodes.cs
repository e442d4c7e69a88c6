using Npgsql;
using Spectre.Console.Cli;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>pgopt's exit codes and the one place that turns exceptions into them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Findings = 1;
    public const int BadInput = 2;

    /// <summary>Prints what went wrong (never a password or a stack trace unless PGOPT_DEBUG=1) and returns the exit code.</summary>
    public static int Report(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var debug = Environment.GetEnvironmentVariable("PGOPT_DEBUG") == "1";
        var error = Console.Error;
        switch (exception)
        {
            case PgOptimizerConfigurationException config:
                error.WriteLine($"error: {config.Message}");
                return BadInput;
            case Microsoft.Extensions.Options.OptionsValidationException invalid:
                error.WriteLine($"error: {string.Join("; ", invalid.Failures)}");
                error.WriteLine("Fix the setting (command-line flag, environment or appsettings.json) and run again.");
                return BadInput;
            case CommandParseException or CommandRuntimeException:
                error.WriteLine($"error: {exception.Message}");
                error.WriteLine("Run 'pgopt --help' (or 'pgopt <command> --help') for the options.");
                return BadInput;
            case OperationCanceledException:
                error.WriteLine("cancelled");
                return Findings;
            case PostgresException pg:
                error.WriteLine($"error: the database said {pg.SqlState}: {pg.MessageText}");
                break;
            case NpgsqlException npg:
                error.WriteLine($"error: database connection failed: {npg.Message}{(npg.InnerException is { } inner ? $" ({inner.Message})" : string.Empty)}");
                break;
            default:
                error.WriteLine($"error: {exception.GetType().Name}: {exception.Message}");
                break;
        }

        if (debug)
        {
            error.WriteLine(exception.ToString());
        }

        return Findings;
    }
}
