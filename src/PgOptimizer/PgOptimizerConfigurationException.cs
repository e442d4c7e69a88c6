namespace PgOptimizer;

/// <summary>
/// Thrown for input the user can fix: a malformed connection string, an unknown option value, a
/// catalog that does not match the database. The message says what is wrong and how to fix it and
/// never contains a password or token. The CLI maps it to exit code 2.
/// </summary>
public sealed class PgOptimizerConfigurationException : Exception
{
    /// <summary>An error with a message that says what is wrong and how to fix it.</summary>
    public PgOptimizerConfigurationException(string message) : base(message) { }

    /// <summary>An error with a message that says what is wrong and how to fix it, and its cause.</summary>
    public PgOptimizerConfigurationException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>An error without a message (prefer the other constructors).</summary>
    public PgOptimizerConfigurationException() { }
}
