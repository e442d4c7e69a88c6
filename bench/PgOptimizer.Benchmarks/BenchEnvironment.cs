using System.Text.RegularExpressions;

namespace PgOptimizer.Benchmarks;

/// <summary>Finds the local services' settings: the environment, else the state folder's env file.</summary>
internal static class BenchEnvironment
{
    public static string Get(string name)
    {
        if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } v)
        {
            return v;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, ".state", "env");
            if (File.Exists(file))
            {
                var m = Regex.Match(File.ReadAllText(file), $"^export {name}='(?<v>[^']*)'", RegexOptions.Multiline);
                if (m.Success)
                {
                    return m.Groups["v"].Value;
                }
            }
        }

        throw new InvalidOperationException($"{name} is not set; run scripts/services.sh up first.");
    }
}
