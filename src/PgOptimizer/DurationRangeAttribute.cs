using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace PgOptimizer;

/// <summary>
/// A <see cref="TimeSpan"/> option (or a nullable one, when set) must lie within
/// [<see cref="Minimum"/>, <see cref="Maximum"/>]. Written as TimeSpan strings ("00:00:01").
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class DurationRangeAttribute : ValidationAttribute
{
    /// <summary>A range from <paramref name="minimum"/> to <paramref name="maximum"/>, both inclusive.</summary>
    public DurationRangeAttribute(string minimum, string maximum = "10675199.02:48:05.4775807")
    {
        Minimum = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
        Maximum = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);
    }

    /// <summary>The shortest allowed duration.</summary>
    public TimeSpan Minimum { get; }

    /// <summary>The longest allowed duration.</summary>
    public TimeSpan Maximum { get; }

    /// <inheritdoc />
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        if (value is not TimeSpan t || (t >= Minimum && t <= Maximum))
        {
            return ValidationResult.Success;
        }

        var range = Maximum == TimeSpan.MaxValue ? $"at least {Minimum}" : $"between {Minimum} and {Maximum}";
        return new ValidationResult($"{validationContext.DisplayName} must be {range} (got {t}).", [validationContext.MemberName ?? validationContext.DisplayName]);
    }
}
