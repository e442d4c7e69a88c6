namespace PgOptimizer.Diagnostics;

/// <summary>How many replicas take reads right now; read routing provides it, monitoring alerts on it.</summary>
public interface IReplicaRotationSource
{
    /// <summary>The replicas routing knows and which of them are out of rotation; null before routing has seen any.</summary>
    ReplicaRotation? GetRotation();
}
