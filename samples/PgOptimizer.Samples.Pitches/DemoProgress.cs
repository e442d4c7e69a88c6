using PgOptimizer.Hosting;
using PgOptimizer.LoadTesting;

namespace PgOptimizer.Samples.Pitches;

/// <summary>What <see cref="DemoRunner"/> reports while it runs, in order.</summary>
public abstract record DemoProgress;

/// <summary>Step <paramref name="Number"/> of <paramref name="Of"/> begins.</summary>
public sealed record DemoStepStarted(int Number, int Of, string Text) : DemoProgress;

/// <summary>A line worth showing under the current step.</summary>
public sealed record DemoNote(string Text) : DemoProgress;

/// <summary>Seeding is under way.</summary>
public sealed record DemoSeeding(SeedProgress Seed) : DemoProgress;

/// <summary>The demo data was loaded.</summary>
public sealed record DemoSeeded(SeedReport Report) : DemoProgress;

/// <summary>The setup was checked.</summary>
public sealed record DemoChecked(DoctorReport Report) : DemoProgress;

/// <summary>A load test of <paramref name="Phase"/> is under way; it measures for <paramref name="Duration"/>.</summary>
public sealed record DemoLoading(string Phase, TimeSpan Duration, LoadTestProgress Load) : DemoProgress;
