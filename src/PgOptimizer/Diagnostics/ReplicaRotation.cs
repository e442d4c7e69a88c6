namespace PgOptimizer.Diagnostics;

/// <summary>Replicas configured, in rotation, and the names of those out (lagging, unreachable or with open circuits).</summary>
/// <param name="Configured">Replicas routing knows.</param>
/// <param name="InRotation">Of them, those taking reads.</param>
/// <param name="Out">The names of the others.</param>
public sealed record ReplicaRotation(int Configured, int InRotation, IReadOnlyList<string> Out)
{
    /// <summary>Share of replicas out of rotation, 0–100.</summary>
    public double OutPercent => Configured == 0 ? 0 : 100.0 * (Configured - InRotation) / Configured;
}
