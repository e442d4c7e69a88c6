using System.Net;

namespace PgOptimizer.Cost;

/// <summary>
/// Neon's API refused or failed a call. The message says which call, what Neon answered and what to
/// do; it never contains the API key.
/// </summary>
public sealed class NeonApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NeonApiException(string message, HttpStatusCode? status = null, string? code = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Code = code;
    }

    /// <summary>Creates the exception.</summary>
    public NeonApiException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public NeonApiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public NeonApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status, when Neon answered.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>Neon's error code, when it gave one.</summary>
    public string? Code { get; }
}
