using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Caching;

/// <summary>Tags a notification invalidated, and the time from its receipt to done.</summary>
public sealed class CacheInvalidatedEventArgs(IReadOnlyList<string> tags, TimeSpan elapsed) : EventArgs
{
    public IReadOnlyList<string> Tags { get; } = tags;

    public TimeSpan Elapsed { get; } = elapsed;
}
