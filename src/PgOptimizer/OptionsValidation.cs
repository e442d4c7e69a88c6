using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PgOptimizer;

/// <summary>
/// The one way options are checked: each area's source-generated validator (DataAnnotations plus
/// the options' own <see cref="IValidatableObject"/> rules). Through DI the options framework runs
/// it (ValidateOnStart); a service built by hand runs the same validator here.
/// </summary>
internal static class OptionsValidation
{
    /// <summary>Throws a <see cref="PgOptimizerConfigurationException"/> naming every failure.</summary>
    public static T ThrowIfInvalid<T>(this IValidateOptions<T> validator, T options, string area)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(Options.DefaultName, options);
        return result.Failed
            ? throw new PgOptimizerConfigurationException($"{area} options are not valid: {string.Join("; ", result.Failures ?? [])}")
            : options;
    }

    /// <summary>The failures of one named item of a dictionary option (a cache strategy, an alert), as validation results.</summary>
    public static IEnumerable<ValidationResult> Item<T>(this IValidateOptions<T> validator, string what, string name, T item)
        where T : class
    {
        var result = validator.Validate(Options.DefaultName, item);
        return result.Failed
            ? (result.Failures ?? []).Select(f => new ValidationResult($"{what} '{name}': {f}"))
            : [];
    }
}
