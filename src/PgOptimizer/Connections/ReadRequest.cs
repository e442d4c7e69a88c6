using NpgsqlTypes;

namespace PgOptimizer.Connections;

/// <summary>What a read router knows about one read attempt.</summary>
/// <param name="Primary">The primary, where reads go when no replica qualifies.</param>
/// <param name="Replicas">Every configured replica.</param>
/// <param name="QueryType">The kind of read.</param>
/// <param name="Strategy">A strategy for this call only, by name; null for the configured one.</param>
/// <param name="MinWalPosition">Replicas must have replayed at least this far; null for no floor.</param>
/// <param name="Attempt">0 for the first attempt, 1 for the first retry, ...</param>
/// <param name="LastFailed">The endpoint the previous attempt failed on, to be avoided; null on the first attempt.</param>
public readonly record struct ReadRequest(
    PgEndpoint Primary,
    IReadOnlyList<PgEndpoint> Replicas,
    QueryType QueryType,
    string? Strategy,
    NpgsqlLogSequenceNumber? MinWalPosition,
    int Attempt,
    PgEndpoint? LastFailed);
