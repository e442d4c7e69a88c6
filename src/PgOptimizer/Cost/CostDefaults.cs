namespace PgOptimizer.Cost;

/// <summary>Defaults of the cost optimizer.</summary>
public static class CostDefaults
{
    /// <summary>Neon's API v2.</summary>
    public const string NeonApiUrl = "https://console.neon.tech/api/v2";

    /// <summary>Hours in a billing month, the unit a monthly price is spread over (365 × 24 / 12).</summary>
    public const double HoursPerMonth = 730;

    /// <summary>The suspend timeout a development compute gets when it is allowed to scale to zero, seconds (Neon's default).</summary>
    public const int ScaleToZeroSeconds = 300;

    /// <summary>Compute sizes Neon's autoscaling accepts, CU.</summary>
    public static IReadOnlyList<double> ComputeSizes { get; } = [0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 24, 28, 32, 40, 48, 56];
}
