namespace PgOptimizer.Connections;

/// <summary>SQLSTATE codes and classes the connection manager reasons about, named once.</summary>
internal static class SqlStates
{
    public const string ConnectionExceptionClass = "08";
    public const string TransactionResolutionUnknown = "08007";
    public const string SqlClientUnableToEstablishConnection = "08001";
    public const string SqlServerRejectedConnection = "08004";
    public const string SerializationFailure = "40001";
    public const string DeadlockDetected = "40P01";
    public const string StatementCompletionUnknown = "40003";
    public const string InsufficientResourcesClass = "53";
    public const string LockNotAvailable = "55P03";
    public const string QueryCanceled = "57014";
    public const string AdminShutdown = "57P01";
    public const string CrashShutdown = "57P02";
    public const string CannotConnectNow = "57P03";
    public const string ReadOnlySqlTransaction = "25006";
}
