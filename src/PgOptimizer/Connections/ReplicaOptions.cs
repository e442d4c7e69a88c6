using System.ComponentModel.DataAnnotations;

namespace PgOptimizer.Connections;

/// <summary>One read replica: where it is and how routing treats it.</summary>
public sealed class ReplicaOptions
{
    /// <summary>A postgresql:// URI or a Key=Value string. Required.</summary>
    [Required(AllowEmptyStrings = false)]
    public string? ConnectionString { get; set; }

    /// <summary>Its name in statistics and logs. Default: replica1, replica2, ... in order.</summary>
    public string? Name { get; set; }

    /// <summary>Relative share of reads for weighted round robin (and a tie-breaker elsewhere), 1 to 1000. Default 1.</summary>
    [Range(1, 1000)]
    public int Weight { get; set; } = 1;

    /// <summary>Where it runs (e.g. aws-eu-central-1), for geographic routing. Default: none (Neon hosts carry their region in the host name).</summary>
    public string? Region { get; set; }

    /// <summary>
    /// The query types it serves. Default empty: every type but <see cref="QueryType.Consistent"/>.
    /// A replica listed for Analytics or Reporting takes those reads before the others do.
    /// </summary>
    public IList<QueryType> QueryTypes { get; set; } = [];

    /// <summary>
    /// The statement timeout of reads on this replica (Npgsql's Command Timeout, which cancels the
    /// statement on the server), for replicas pinned to long analytical or reporting reads.
    /// Default: <see cref="ConnectionOptions.AttemptTimeout"/> (unless its connection string sets one).
    /// </summary>
    [DurationRange("00:00:01", "1.00:00:00")]
    public TimeSpan? StatementTimeout { get; set; }

    /// <summary>
    /// A replica from one string, as the command line and PGOPT_REPLICA_CONNECTIONS give it: a
    /// connection string, and for a URI optionally its attributes after <c>#</c>:
    /// <c>postgresql://u:p@host/db#name=eu1&amp;weight=3&amp;region=eu-west&amp;types=analytics,reporting</c>.
    /// </summary>
    /// <exception cref="PgOptimizerConfigurationException">An attribute is unknown or its value is not valid.</exception>
    public static ReplicaOptions Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The attributes start at the first '#' after the user info (a password may hold an unencoded '#').
        var hash = ConnectionStringParser.IsUri(text.Trim()) ? text.IndexOf('#', text.LastIndexOf('@') + 1) : -1;
        var replica = new ReplicaOptions { ConnectionString = hash < 0 ? text : text[..hash] };
        if (hash < 0)
        {
            return replica;
        }

        foreach (var pair in text[(hash + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = eq < 0 ? (pair, string.Empty) : (pair[..eq], Uri.UnescapeDataString(pair[(eq + 1)..]));
            switch (key.ToLowerInvariant())
            {
                case "name":
                    replica.Name = value;
                    break;
                case "weight" when int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var w) && w is >= 1 and <= 1000:
                    replica.Weight = w;
                    break;
                case "weight":
                    throw new PgOptimizerConfigurationException($"A replica's weight '{value}' is not a whole number from 1 to 1000 (in #weight=...).");
                case "region":
                    replica.Region = value;
                    break;
                case "timeout" when int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 86_400:
                    replica.StatementTimeout = TimeSpan.FromSeconds(seconds);
                    break;
                case "timeout":
                    throw new PgOptimizerConfigurationException($"A replica's statement timeout '{value}' is not a whole number of seconds from 1 to 86400 (in #timeout=...).");
                case "types":
                    foreach (var t in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        replica.QueryTypes.Add(Enum.TryParse<QueryType>(t, ignoreCase: true, out var type) && Enum.IsDefined(type)
                            ? type
                            : throw new PgOptimizerConfigurationException($"A replica's query type '{t}' is not one of {string.Join(", ", Enum.GetNames<QueryType>())} (in #types=...)."));
                    }

                    break;
                default:
                    throw new PgOptimizerConfigurationException($"A replica attribute '{key}' is unknown; after # give name=, weight=, region=, types= or timeout= (seconds), joined by &.");
            }
        }

        return replica;
    }
}
