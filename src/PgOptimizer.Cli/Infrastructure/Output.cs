using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>JSON for machines, markup for people.</summary>
public static partial class Output
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new SecondsConverter() },
    };

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));

    public static string Esc(string? text) => Markup.Escape(text ?? string.Empty);

    public static string N(double value, int decimals = 0) => value.ToString("N" + decimals, CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):F0} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>Writes TimeSpan values as seconds (a number), the base unit machines expect.</summary>
    private sealed class SecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => TimeSpan.FromSeconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) => writer.WriteNumberValue(Math.Round(value.TotalSeconds, 6));
    }
}

/// <summary>Checks of file arguments, made before any long work.</summary>
public static partial class Output
{
    /// <summary>Throws (exit 2) unless a file can be written at <paramref name="path"/>: its folder exists and takes a new file, and the file, if present, is writable.</summary>
    public static void EnsureWritable(string path, string option)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new PgOptimizerConfigurationException($"{option} '{path}' is not a valid path: {ex.Message}");
        }

        var folder = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(folder))
        {
            throw new PgOptimizerConfigurationException($"{option} '{path}': the folder '{folder}' does not exist; create it or give another path.");
        }

        if (Directory.Exists(full))
        {
            throw new PgOptimizerConfigurationException($"{option} '{path}' is a folder; give a file name.");
        }

        try
        {
            if (File.Exists(full))
            {
                using (File.Open(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                {
                }
            }
            else
            {
                var probe = Path.Combine(folder, $".pgopt-write-check-{Environment.ProcessId}");
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new PgOptimizerConfigurationException($"{option} '{path}' cannot be written ({ex.Message}); give a path you can write to.");
        }
    }
}

/// <summary>Parses durations such as 30s, 5m, 1h30m, 500ms or a plain number of seconds.</summary>
public static class DurationParser
{
    /// <summary>A positive duration (30s, 5m, 1h30m, 500ms or plain seconds); zero only with <paramref name="allowZero"/>.</summary>
    public static TimeSpan Parse(string text, string option, bool allowZero = false)
    {
        try
        {
            return ParseCore(text, option, allowZero);
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException)
        {
            // TimeSpan.FromX of a number beyond ~29,000 years, NaN or infinity
            throw new PgOptimizerConfigurationException($"{option} '{text}' is too long a duration; write at most a few days, e.g. 24h.");
        }
    }

    private static TimeSpan ParseCore(string text, string option, bool allowZero)
    {
        var s = (text ?? string.Empty).Trim().ToLowerInvariant();
        if (allowZero && s is "0" or "0s" or "0ms")
        {
            return TimeSpan.Zero;
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && plain > 0 && double.IsFinite(plain))
        {
            return TimeSpan.FromSeconds(plain);
        }

        var total = TimeSpan.Zero;
        var i = 0;
        var any = false;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            if (start == unitStart || !double.TryParse(s[start..unitStart], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                throw Bad();
            }

            total += s[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" or "sec" => TimeSpan.FromSeconds(n),
                "m" or "min" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => throw Bad(),
            };
            any = true;
        }

        if (!any || total <= TimeSpan.Zero)
        {
            throw Bad();
        }

        return total;

        PgOptimizerConfigurationException Bad() =>
            new($"{option} '{text}' is not a duration; write e.g. 30s, 5m, 1h30m or 500ms.");
    }
}
