using System.Diagnostics;

namespace PgOptimizer.Caching;

/// <summary>
/// Decides, per strategy, whether its misses in memory go to Redis. A lookup in Redis costs every
/// memory miss a round trip (and the value a write after a load); it pays only when Redis holds the
/// value often enough that the database queries it saves outweigh that. The governor measures
/// both over windows of misses that read Redis: the time a miss spends beyond its database query
/// (the Redis cost), and the share of misses Redis answered times the mean query time (the
/// saving). The first window is the process's start and is not judged. When the cost is higher, misses skip the Redis read for
/// <see cref="CacheStrategy.RedisProbeInterval"/>, then Redis is measured again.
/// While misses skip Redis, only the values of <see cref="Witness"/> keys (one in
/// <see cref="WitnessEvery"/>, chosen by a hash of the key that every instance computes alike) are
/// still written to Redis, in the background: writing every loaded value would cost each miss about
/// a round trip for a tier that does not pay. The share Redis answers is measured on those keys
/// only, so the next measurement is as fair as if every value had been written, at a sixteenth of
/// the cost. Invalidations from other instances still apply: their tag markers arrive on the
/// backplane, and a tag this instance has no marker for gets one from the load that skipped Redis,
/// dated just before it (SmartCache's StrategyCache.SeedTagMarkers).
/// </summary>
internal sealed class RedisTierGovernor(int window, TimeSpan probeInterval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    /// <summary>One key in this many is a <see cref="Witness"/>.</summary>
    public const int WitnessEvery = 16;

    private long _misses;
    private long _witnesses;
    private long _answered;
    private long _missTicks;
    private long _factoryTicks;
    private long _factoryRuns;
    private long _bypassUntil;
    private long _decisions;
    private bool _warm;

    /// <summary>True while misses skip Redis.</summary>
    public bool Bypassing => _bypassUntil != 0 && _time.GetTimestamp() < Volatile.Read(ref _bypassUntil);

    /// <summary>Times misses were sent past Redis.</summary>
    public long Bypasses => Interlocked.Read(ref _decisions);

    /// <summary>Mean µs a miss spent on Redis beyond its query, in the last window measured.</summary>
    public double? CostMicros { get; private set; }

    /// <summary>Mean µs of queries Redis saved per miss, in the last window measured.</summary>
    public double? SavingMicros { get; private set; }

    /// <summary>
    /// Whether the key's value is written to Redis even while misses skip it: true for one key in
    /// <see cref="WitnessEvery"/>, by an FNV-1a hash of the key (the same on every instance and
    /// every run, unlike <see cref="string.GetHashCode()"/>).
    /// </summary>
    public static bool Witness(string key) => KeyHash.InSample(key, WitnessEvery);

    /// <summary>
    /// Records one miss in memory that went to Redis: its whole time, whether Redis (or another
    /// caller's load) answered it, the query's time if it ran, and whether its key is a
    /// <see cref="Witness"/> (only those count towards the share Redis answers).
    /// </summary>
    public void Record(long missTicks, bool answered, long factoryTicks, bool witness = true)
    {
        lock (_gate)
        {
            _misses++;
            _missTicks += missTicks;
            if (witness)
            {
                _witnesses++;
                if (answered)
                {
                    _answered++;
                }
            }

            if (!answered)
            {
                _factoryRuns++;
                _factoryTicks += factoryTicks;
            }

            if (_misses < window || _witnesses < Math.Max(1, window / 8) || _factoryRuns == 0)
            {
                return;
            }

            if (!_warm)
            {
                // The first window of a process is its start: thread pool still growing, connections
                // opening, code compiling. It says nothing about Redis; the next one does.
                _warm = true;
                _misses = _witnesses = _answered = _missTicks = _factoryTicks = _factoryRuns = 0;
                return;
            }

            var meanQuery = (double)_factoryTicks / _factoryRuns;
            // A miss's time beyond its query is Redis's: the read, and the wait for an answer.
            var cost = Math.Max(0, (double)(_missTicks - _factoryTicks) / _misses);
            var saving = (double)_answered / _witnesses * meanQuery;
            CostMicros = cost * 1_000_000 / Stopwatch.Frequency;
            SavingMicros = saving * 1_000_000 / Stopwatch.Frequency;
            if (cost > saving)
            {
                Volatile.Write(ref _bypassUntil, _time.GetTimestamp() + (long)(probeInterval.TotalSeconds * _time.TimestampFrequency));
                _decisions++;
            }

            _misses = _witnesses = _answered = _missTicks = _factoryTicks = _factoryRuns = 0;
        }
    }
}
