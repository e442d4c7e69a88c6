using System.Globalization;

namespace PgOptimizer.Workload;

/// <summary>Relative weights of a workload's operations; draws the next operation.</summary>
public sealed class WorkloadMix
{
    private readonly WorkloadOperation[] _ops;
    private readonly double[] _cumulative;

    /// <summary>A mix of operations with their relative weights.</summary>
    public WorkloadMix(IEnumerable<(WorkloadOperation Operation, double Weight)> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var list = weights.Where(w => w.Weight > 0).ToList();
        if (list.Count == 0)
        {
            throw new PgOptimizerConfigurationException("The workload mix has no operation with a positive weight.");
        }

        _ops = list.Select(w => w.Operation).ToArray();
        var total = list.Sum(w => w.Weight);
        _cumulative = new double[list.Count];
        double acc = 0;
        for (var i = 0; i < list.Count; i++)
        {
            acc += list[i].Weight / total;
            _cumulative[i] = acc;
        }

        _cumulative[^1] = 1.0;
        Shares = _ops.Select((o, i) => (o, i == 0 ? _cumulative[0] : _cumulative[i] - _cumulative[i - 1])).ToList();
    }

    /// <summary>Each operation with its share (0–1).</summary>
    public IReadOnlyList<(WorkloadOperation Operation, double Share)> Shares { get; }

    /// <summary>Share of reads (0–1).</summary>
    public double ReadShare => Shares.Where(s => s.Operation.Intent == Connections.DbIntent.Read).Sum(s => s.Share);

    /// <summary>Draws the next operation by weight.</summary>
    public WorkloadOperation Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var u = random.NextDouble();
        var i = Array.BinarySearch(_cumulative, u);
        if (i < 0)
        {
            i = ~i;
        }

        return _ops[Math.Min(i, _ops.Length - 1)];
    }

    /// <summary>The workload's default weights.</summary>
    public static WorkloadMix Default(IWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return new WorkloadMix(workload.Operations.Select(o => (o, (double)o.DefaultWeight)));
    }

    /// <summary>
    /// Parses "name=weight,name=weight" (unlisted operations get 0), or "reads=90,writes=10" to
    /// scale the default weights of reads and writes.
    /// </summary>
    public static WorkloadMix Parse(IWorkload workload, string? text)
    {
        ArgumentNullException.ThrowIfNull(workload);
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            return Default(workload);
        }

        var byName = workload.Operations.ToDictionary(o => o.Name, StringComparer.OrdinalIgnoreCase);
        var weights = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(part[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || w < 0 || !double.IsFinite(w))
            {
                throw new PgOptimizerConfigurationException($"The mix entry '{part}' is not name=weight with a non-negative number, e.g. pitch_detail=40,create_pitch=5 or reads=90,writes=10.");
            }

            var name = part[..eq].Trim();
            if (!byName.ContainsKey(name) && !name.Equals("reads", StringComparison.OrdinalIgnoreCase) && !name.Equals("writes", StringComparison.OrdinalIgnoreCase))
            {
                throw new PgOptimizerConfigurationException($"The mix names '{name}', which is not an operation of the {workload.Name} workload. Operations: {string.Join(", ", byName.Keys)} (or reads/writes).");
            }

            weights[name] = w;
        }

        if (weights.ContainsKey("reads") || weights.ContainsKey("writes"))
        {
            var reads = weights.GetValueOrDefault("reads", 0);
            var writes = weights.GetValueOrDefault("writes", 0);
            var readTotal = (double)workload.Operations.Where(o => o.Intent == Connections.DbIntent.Read).Sum(o => o.DefaultWeight);
            var writeTotal = (double)workload.Operations.Where(o => o.Intent == Connections.DbIntent.Write).Sum(o => o.DefaultWeight);
            return new WorkloadMix(workload.Operations.Select(o => (o, o.Intent == Connections.DbIntent.Read
                ? readTotal == 0 ? 0 : o.DefaultWeight / readTotal * reads
                : writeTotal == 0 ? 0 : o.DefaultWeight / writeTotal * writes)));
        }

        return new WorkloadMix(workload.Operations.Select(o => (o, weights.GetValueOrDefault(o.Name, 0))));
    }
}
