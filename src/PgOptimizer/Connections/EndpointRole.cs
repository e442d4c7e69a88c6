using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Connections;

/// <summary>The role of an endpoint.</summary>
public enum EndpointRole
{
    Primary,
    Replica,
}
