namespace PgOptimizer.Hosting;

/// <summary>One step of a deployment and how it went.</summary>
public sealed record DeployStep(string Name, CheckStatus Status, string Detail, string? Fix = null);
