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
}
