using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PgOptimizer.Connections;

/// <summary>A Redis PING result.</summary>
public sealed record RedisPing(TimeSpan Latency, string? ServerVersion);
