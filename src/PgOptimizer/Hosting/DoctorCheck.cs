namespace PgOptimizer.Hosting;

/// <summary>One finding: what was checked, what was found and, when not ok, how to fix it.</summary>
public sealed record DoctorCheck(string Name, CheckStatus Status, string Detail, string? Fix = null);
