using System.Text.RegularExpressions;

namespace PgOptimizer.Samples.Pitches;

/// <summary>The demo's SQL files, embedded in the assembly.</summary>
internal static partial class DemoSql
{
    public static string Read(string name)
    {
        using var stream = typeof(DemoSql).Assembly.GetManifestResourceStream($"Pitches.{name}")
            ?? throw new InvalidOperationException($"Embedded resource Pitches.{name} is missing from {typeof(DemoSql).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Splits seed.sql into its steps: "-- step: name [after: a,b]".</summary>
    public static IReadOnlyList<SeedStep> Steps(string script)
    {
        var steps = new List<SeedStep>();
        var matches = StepHeader().Matches(script);
        for (var i = 0; i < matches.Count; i++)
        {
            var m = matches[i];
            var start = m.Index + m.Length;
            var end = i + 1 < matches.Count ? matches[i + 1].Index : script.Length;
            var after = m.Groups["after"].Success
                ? m.Groups["after"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [];
            steps.Add(new SeedStep(m.Groups["name"].Value, after, script[start..end].Trim()));
        }

        return steps;
    }

    [GeneratedRegex(@"^-- step: (?<name>[a-z_]+)(?: after: (?<after>[a-z_, ]+))?\s*$", RegexOptions.Multiline)]
    private static partial Regex StepHeader();
}

/// <summary>One step of the seed script.</summary>
internal sealed record SeedStep(string Name, IReadOnlyList<string> After, string Sql);
