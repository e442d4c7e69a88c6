namespace PgOptimizer.Connections;

/// <summary>One background probe of the primary, which readiness checks read instead of querying.</summary>
/// <param name="Answered">The primary answered <c>SELECT 1</c> through the application's pool within the probe timeout.</param>
/// <param name="LatencyMs">Time to get a pooled connection and the answer; null when it did not answer.</param>
/// <param name="At">When the probe finished.</param>
/// <param name="PoolExhausted">No pooled connection came free within the timeout while every one was busy.</param>
/// <param name="Error">Why it did not answer (no credentials in it); null when it did.</param>
public sealed record ReadinessReading(bool Answered, double? LatencyMs, DateTimeOffset At, bool PoolExhausted = false, string? Error = null);
