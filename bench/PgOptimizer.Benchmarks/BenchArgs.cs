using System.Globalization;

namespace PgOptimizer.Benchmarks;

/// <summary>Positional arguments of the round-based harnesses, and the median of their per-round ratios.</summary>
internal static class BenchArgs
{
    public static int Int(string[] args, int index, int fallback) =>
        args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

    public static double Double(string[] args, int index, double fallback) =>
        args.Length > index ? double.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

    /// <summary>Sorts <paramref name="ratios"/> and returns their median.</summary>
    public static double Median(List<double> ratios)
    {
        ratios.Sort();
        return ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[ratios.Count / 2 - 1] + ratios[ratios.Count / 2]) / 2;
    }
}
