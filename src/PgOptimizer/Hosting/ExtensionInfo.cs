namespace PgOptimizer.Hosting;

/// <summary>An extension's state.</summary>
public sealed record ExtensionInfo(string Name, bool Available, bool Installed, string? Version, bool? Preloaded);
