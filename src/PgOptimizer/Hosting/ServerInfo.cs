namespace PgOptimizer.Hosting;

/// <summary>The server behind the primary endpoint.</summary>
public sealed record ServerInfo(string Endpoint, string Version, int VersionNumber, string Database, string User, bool IsSuperuser, bool IsNeon, bool IsPooler, string? NeonEndpointId, TimeSpan ConnectLatency);
