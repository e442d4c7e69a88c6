using NpgsqlTypes;

namespace PgOptimizer.Connections;

/// <summary>One probe of a replica's lag.</summary>
/// <param name="Seconds">
/// Time since the last replayed transaction, or 0 when the replica has replayed all it received
/// (so an idle primary does not look like lag); null when the probe failed.
/// </param>
/// <param name="Bytes">The primary's WAL position minus the replica's replay position; null when either is unknown.</param>
/// <param name="ReplayPosition">The WAL position the replica has replayed; null when the probe failed.</param>
/// <param name="At">When the probe answered.</param>
/// <param name="Error">Why the probe failed (the replica is then treated as unavailable for lag-bounded reads); null on success.</param>
public sealed record ReplicaLagReading(double? Seconds, long? Bytes, NpgsqlLogSequenceNumber? ReplayPosition, DateTimeOffset At, string? Error = null);
