using System.Reflection;
using NetArchTest.Rules;
using PgOptimizer.Connections;

namespace PgOptimizer.Tests.Architecture;

/// <summary>
/// The allowed dependencies between the library's concerns (docs/architecture.md draws the same
/// table). A concern may use the neutral root namespace, Diagnostics and the concerns in its row;
/// anything else fails here, by the types that break the rule.
/// </summary>
public sealed class DependencyTests
{
    private const string Root = "PgOptimizer";

    /// <summary>Concern → the concerns it may depend on (Diagnostics and the root are neutral).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["Diagnostics"] = [],
        ["Connections"] = [],
        ["Workload"] = ["Connections"],
        ["Routing"] = ["Connections"],
        ["Caching"] = ["Connections"],
        ["Indexing"] = ["Connections", "Workload"],
        ["Monitoring"] = ["Connections", "Workload"],
        ["Cost"] = ["Connections", "Workload", "Indexing", "Monitoring"],
        ["LoadTesting"] = ["Connections", "Workload", "Caching", "Indexing"],
        ["Hosting"] = ["Connections", "Workload", "Routing", "Caching", "Indexing", "Monitoring", "Cost", "LoadTesting"],
    };

    private static readonly Assembly Library = typeof(PgConnectionManager).Assembly;

    public static TheoryData<string> Concerns() => [.. Allowed.Keys];

    [Theory]
    [MemberData(nameof(Concerns))]
    public void A_concern_depends_only_on_the_concerns_it_may(string concern)
    {
        var forbidden = Allowed.Keys.Where(c => c != concern && !Allowed[concern].Contains(c) && c != "Diagnostics")
            .Select(c => $"{Root}.{c}").ToArray();
        var result = Types.InAssembly(Library).That().ResideInNamespace($"{Root}.{concern}")
            .ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        Assert.True(result.IsSuccessful,
            $"{concern} may depend on [{string.Join(", ", Allowed[concern])}] only; these types use another concern: " +
            string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void Every_namespace_of_the_library_is_a_known_concern()
    {
        var unknown = Library.GetTypes()
            .Select(t => t.Namespace)
            .Where(n => n is not null && n.StartsWith(Root + ".", StringComparison.Ordinal))
            .Select(n => n!.Split('.')[1])
            .Where(n => !Allowed.ContainsKey(n))
            .Distinct()
            .ToList();
        Assert.True(unknown.Count == 0, $"Namespaces without a row in the dependency table: {string.Join(", ", unknown)}. Add them to Allowed and to docs/architecture.md.");
    }

    [Fact]
    public void The_neutral_root_depends_on_no_concern()
    {
        var concerns = Allowed.Keys.Where(c => c != "Diagnostics").Select(c => $"{Root}.{c}").ToArray();
        var result = Types.InAssembly(Library).That().ResideInNamespaceMatching($"^{Root}$")
            .ShouldNot().HaveDependencyOnAny(concerns).GetResult();
        Assert.True(result.IsSuccessful, "Root types use a concern: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void Nothing_depends_on_the_command_line()
    {
        var assemblies = new[] { Library, typeof(PgOptimizer.Samples.Pitches.PitchesDemo).Assembly, typeof(PgOptimizer.AspNetCore.PgOptimizerEndpoints).Assembly };
        foreach (var assembly in assemblies)
        {
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name == "pgopt");
            var result = Types.InAssembly(assembly).ShouldNot().HaveDependencyOn("PgOptimizer.Cli").GetResult();
            Assert.True(result.IsSuccessful, $"{assembly.GetName().Name} uses the CLI: " + string.Join(", ", result.FailingTypeNames ?? []));
        }
    }

    [Fact]
    public void The_rules_catch_a_dependency_that_exists()
    {
        // Guards the test itself: Monitoring does use Connections, so forbidding it must fail.
        var result = Types.InAssembly(Library).That().ResideInNamespace($"{Root}.Monitoring")
            .ShouldNot().HaveDependencyOn($"{Root}.Connections").GetResult();
        Assert.False(result.IsSuccessful);
    }
}
