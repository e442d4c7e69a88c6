namespace PgOptimizer.Workload;

/// <summary>
/// Draws ranks 1..n with Zipf-like skew (probability ~ 1/r^s) from one uniform number, by the
/// inverse of the continuous CDF. s = 1 is the classic web-popularity skew; s &lt; 1 is milder.
/// The demo seed uses the same formulas in SQL, so the hot keys of the data are the hot keys of the load.
/// </summary>
public sealed class ZipfSampler
{
    private readonly long _n;
    private readonly double _s;
    private readonly double _logN1;
    private readonly double _pow;

    /// <summary>A sampler over ranks 1..<paramref name="n"/> with exponent <paramref name="s"/> (1: classic web popularity).</summary>
    public ZipfSampler(long n, double s = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(s);
        _n = n;
        _s = s;
        _logN1 = Math.Log(n + 1.0);
        _pow = s == 1.0 ? 0 : Math.Pow(n + 1.0, 1.0 - s) - 1.0;
    }

    /// <summary>The rank for a uniform number in [0, 1).</summary>
    public long FromUniform(double u)
    {
        var x = _s == 1.0 ? Math.Exp(u * _logN1) : Math.Pow(_pow * u + 1.0, 1.0 / (1.0 - _s));
        return Math.Clamp((long)Math.Floor(x), 1, _n);
    }

    /// <summary>Draws a rank.</summary>
    public long Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return FromUniform(random.NextDouble());
    }
}
