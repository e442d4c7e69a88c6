using System.Net.Sockets;
using Npgsql;
using PgOptimizer.Connections;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace PgOptimizer.Tests.Connections;

public class PostgresErrorClassifierTests
{
    [Theory]
    [InlineData("40001", FailureKind.TransientNotApplied)]
    [InlineData("40P01", FailureKind.TransientNotApplied)]
    [InlineData("55P03", FailureKind.TransientNotApplied)]
    [InlineData("53300", FailureKind.TransientNotApplied)]
    [InlineData("53200", FailureKind.TransientNotApplied)]
    [InlineData("57P03", FailureKind.TransientNotApplied)]
    [InlineData("08001", FailureKind.TransientNotApplied)]
    [InlineData("08006", FailureKind.TransientOutcomeUnknown)]
    [InlineData("08003", FailureKind.TransientOutcomeUnknown)]
    [InlineData("57P01", FailureKind.TransientOutcomeUnknown)]
    [InlineData("57P02", FailureKind.TransientOutcomeUnknown)]
    [InlineData("08007", FailureKind.TransientOutcomeUnknown)]
    [InlineData("40003", FailureKind.TransientOutcomeUnknown)]
    [InlineData("57014", FailureKind.Cancelled)]
    [InlineData("23505", FailureKind.Permanent)]
    [InlineData("23503", FailureKind.Permanent)]
    [InlineData("42601", FailureKind.Permanent)]
    [InlineData("42P01", FailureKind.Permanent)]
    [InlineData("22P02", FailureKind.Permanent)]
    [InlineData("28P01", FailureKind.Permanent)]
    [InlineData("25006", FailureKind.Permanent)]
    public void Classifies_sqlstates_during_execution(string sqlState, FailureKind expected) =>
        Assert.Equal(expected, PostgresErrorClassifier.ClassifySqlState(sqlState));

    [Theory]
    [InlineData("57P01")]
    [InlineData("08006")]
    public void Connection_failures_while_connecting_are_safe_to_retry(string sqlState) =>
        Assert.Equal(FailureKind.TransientNotApplied, PostgresErrorClassifier.ClassifySqlState(sqlState, beforeExecution: true));

    [Fact]
    public void Commit_outcome_unknown_stays_unknown_even_before_execution() =>
        Assert.Equal(FailureKind.TransientOutcomeUnknown, PostgresErrorClassifier.ClassifySqlState("08007", beforeExecution: true));

    [Fact]
    public void Classifies_exception_types()
    {
        var io = new NpgsqlException("Exception while reading from stream", new System.IO.IOException("reset"));
        Assert.Equal(FailureKind.TransientOutcomeUnknown, PostgresErrorClassifier.Classify(io));
        Assert.Equal(FailureKind.TransientNotApplied, PostgresErrorClassifier.Classify(io, beforeExecution: true));
        Assert.Equal(FailureKind.TransientNotApplied, PostgresErrorClassifier.Classify(new NpgsqlException("connect", new SocketException(111)), beforeExecution: true));
        Assert.Equal(FailureKind.TransientOutcomeUnknown, PostgresErrorClassifier.Classify(new TimeoutRejectedException()));
        Assert.Equal(FailureKind.TransientNotApplied, PostgresErrorClassifier.Classify(new BrokenCircuitException()));
        Assert.Equal(FailureKind.Cancelled, PostgresErrorClassifier.Classify(new OperationCanceledException()));
        Assert.Equal(FailureKind.Permanent, PostgresErrorClassifier.Classify(new InvalidOperationException()));
        Assert.Equal(FailureKind.Permanent, PostgresErrorClassifier.Classify(new ArgumentException()));
    }

    [Theory]
    [InlineData(FailureKind.TransientNotApplied, false, true)]
    [InlineData(FailureKind.TransientNotApplied, true, true)]
    [InlineData(FailureKind.TransientOutcomeUnknown, false, false)]
    [InlineData(FailureKind.TransientOutcomeUnknown, true, true)]
    [InlineData(FailureKind.Cancelled, true, false)]
    [InlineData(FailureKind.Permanent, true, false)]
    public void Retries_unknown_outcomes_only_when_idempotent(FailureKind kind, bool idempotent, bool expected) =>
        Assert.Equal(expected, PostgresErrorClassifier.ShouldRetry(kind, idempotent));
}
