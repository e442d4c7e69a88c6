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
            case PgOptimizer.Cost.NeonApiException neon:
                error.WriteLine($"error: {neon.Message}");
                break;
            case PostgresException pg:
                error.WriteLine($"error: the database said {pg.SqlState}: {pg.MessageText}");
                break;
            case InvalidOperationException bind when bind.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                // the configuration binder: a value of the wrong type in appsettings.json or the environment
                error.WriteLine($"error: {bind.Message}");
                error.WriteLine("Fix the value (durations are written hh:mm:ss, numbers without quotes or units) and run again.");
                return BadInput;
            case NpgsqlException npg:
                error.WriteLine($"error: {Describe(npg)}");
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

    /// <summary>What a client-side Npgsql failure was: a timeout, an exhausted pool, a refused or lost connection.</summary>
    internal static string Describe(NpgsqlException npg)
    {
        var inner = npg.InnerException;
        var detail = $"{npg.Message}{(inner is null ? string.Empty : $" ({inner.Message})")}";
        if (npg.Message.Contains("pool has been exhausted", StringComparison.OrdinalIgnoreCase))
        {
            return $"no database connection came free in time (the pool is exhausted): {detail}";
        }

        return inner switch
        {
            TimeoutException => $"the database did not answer in time (a command or connect timeout): {detail}",
            System.Net.Sockets.SocketException => $"could not reach the database: {detail}",
            IOException or EndOfStreamException => $"the database connection was lost: {detail}",
            _ when npg.IsTransient && npg.Message.Contains("timeout", StringComparison.OrdinalIgnoreCase) => $"the database did not answer in time: {detail}",
            _ => $"database error: {detail}",
        };
    }
}
