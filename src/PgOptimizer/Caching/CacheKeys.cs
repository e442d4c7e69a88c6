using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace PgOptimizer.Caching;

/// <summary>
/// Key and tag helpers: one spelling per kind of entry, so that
/// the keys a reader caches and the tags a writer invalidates agree.
/// </summary>
public static class CacheKeys
{
    /// <summary>user:{id}:{aspect}, e.g. GetUserKey(42, "profile") → "user:42:profile".</summary>
    public static string GetUserKey(long userId, string aspect) => $"user:{userId.ToString(CultureInfo.InvariantCulture)}:{Clean(aspect)}";

    /// <summary>pitch:{id}:{aspect}.</summary>
    public static string GetPitchKey(long pitchId, string aspect = "details") => $"pitch:{pitchId.ToString(CultureInfo.InvariantCulture)}:{Clean(aspect)}";

    /// <summary>search:{hash of the normalized query and its parameters}: bounded length whatever the query.</summary>
    public static string GetSearchKey(string query, params object?[] parameters)
    {
        ArgumentNullException.ThrowIfNull(query);
        var text = string.Join('\u001f', parameters.Select(p => Convert.ToString(p, CultureInfo.InvariantCulture) ?? "")) + '\u001e' +
                   string.Join(' ', query.Trim().ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return "search:" + Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The tag of everything cached about a user: user:{id}.</summary>
    public static string UserTag(long userId) => $"user:{userId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The tag of everything cached about a pitch: pitch:{id}.</summary>
    public static string PitchTag(long pitchId) => $"pitch:{pitchId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A tag from a template with {column} placeholders and a row's values.</summary>
    public static string? ExpandTemplate(string template, IReadOnlyDictionary<string, string?> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var sb = new StringBuilder(template.Length + 16);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                sb.Append(template, i, template.Length - i);
                break;
            }

            var close = template.IndexOf('}', open + 1);
            if (close < 0)
            {
                return null;
            }

            sb.Append(template, i, open - i);
            if (!values.TryGetValue(template[(open + 1)..close], out var value) || value is null)
            {
                return null; // the row did not carry that column
            }

            sb.Append(value);
            i = close + 1;
        }

        return sb.ToString();
    }

    private static string Clean(string aspect) =>
        string.IsNullOrWhiteSpace(aspect) ? throw new ArgumentException("A key aspect must not be empty.", nameof(aspect)) : aspect.Trim();
}
