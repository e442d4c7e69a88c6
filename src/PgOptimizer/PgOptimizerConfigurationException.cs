namespace PgOptimizer;

/// <summary>
/// Thrown for input the user can fix: a malformed connection string, an unknown option value, a
/// catalog that does not match the database. The message says what is wrong and how to fix it and
/// never contains a password or token. The CLI maps it to exit code 2.
/// </summary>
public sealed class PgOptimizerConfigurationException : Exception
{
    public PgOptimizerConfigurationException(string message) : base(message) { }

    public PgOptimizerConfigurationException(string message, Exception? innerException) : base(message, innerException) { }

    public PgOptimizerConfigurationException() { }
}
