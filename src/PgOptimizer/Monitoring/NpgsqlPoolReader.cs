using System.Diagnostics.Metrics;

namespace PgOptimizer.Monitoring;

/// <summary>
/// Reads Npgsql's own pool figures (the "Npgsql" meter's db.client.connection.count, by pool name
/// and state) on demand: how many physical connections each data source holds idle and in use.
/// </summary>
internal sealed class NpgsqlPoolReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, (int Idle, int Used)> _counts = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public NpgsqlPoolReader()
    {
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.connection.count")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) => OnMeasurement(value, tags));
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => OnMeasurement((int)value, tags));
        _listener.Start();
    }

    /// <summary>Idle and used physical connections per data source name, read now.</summary>
    public Dictionary<string, (int Idle, int Used)> Read()
    {
        lock (_gate)
        {
            _counts.Clear();
            _listener.RecordObservableInstruments();
            return new Dictionary<string, (int Idle, int Used)>(_counts, StringComparer.Ordinal);
        }
    }

    private void OnMeasurement(int value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? pool = null;
        string? state = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "db.client.connection.pool.name")
            {
                pool = tag.Value as string;
            }
            else if (tag.Key == "db.client.connection.state")
            {
                state = tag.Value as string;
            }
        }

        if (pool is null)
        {
            return;
        }

        _counts.TryGetValue(pool, out var c);
        _counts[pool] = state == "idle" ? (c.Idle + value, c.Used) : (c.Idle, c.Used + value);
    }

    public void Dispose() => _listener.Dispose();
}
