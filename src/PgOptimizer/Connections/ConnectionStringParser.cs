using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace PgOptimizer.Connections;

/// <summary>
/// Turns what users paste into a <see cref="NpgsqlConnectionStringBuilder"/>: libpq-style
/// <c>postgresql://</c> / <c>postgres://</c> URIs (percent-encoded user and password, several
/// hosts, query parameters such as <c>sslmode</c> and <c>channel_binding</c>) and Npgsql
/// <c>Key=Value;</c> strings. Every error names the bad part and never echoes a password.
/// </summary>
public static partial class ConnectionStringParser
{
    private static readonly Dictionary<string, string> UriParameterToNpgsql = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["channel_binding"] = "Channel Binding",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["target_session_attrs"] = "Target Session Attributes",
        ["options"] = "Options",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["sslnegotiation"] = "SSL Negotiation",
        ["keepalives_idle"] = "Keepalive",
        ["user"] = "Username",
        ["password"] = "Password",
        ["dbname"] = "Database",
        ["host"] = "Host",
        ["port"] = "Port",
        ["gssencmode"] = "GSS Encryption Mode",
        ["client_encoding"] = "Client Encoding",
    };

    private static readonly Dictionary<string, string[]> AllowedValues = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
        ["channel_binding"] = ["disable", "prefer", "require"],
        ["target_session_attrs"] = ["any", "read-write", "read-only", "primary", "standby", "prefer-primary", "prefer-standby"],
    };

    /// <summary>True when the text looks like a URI rather than a key=value string.</summary>
    public static bool IsUri(string text) =>
        text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
        text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a URI or key=value connection string.</summary>
    /// <exception cref="PgOptimizerConfigurationException">The text is malformed; the message names the part.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string text, string what = "connection string")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new PgOptimizerConfigurationException(
                $"The {what} is empty. Give a postgresql://user:password@host:port/database URI or a Host=...;Database=...;Username=... string.");
        }

        text = text.Trim();
        if (IsUri(text))
        {
            return ParseUri(text, what);
        }

        if (text.Contains("://", StringComparison.Ordinal) && SchemeLike().IsMatch(text[..text.IndexOf("://", StringComparison.Ordinal)]))
        {
            var scheme = text[..text.IndexOf("://", StringComparison.Ordinal)];
            throw new PgOptimizerConfigurationException(
                $"The {what} has the scheme '{Truncate(scheme)}://'; use postgresql:// or postgres://.");
        }

        if (!text.Contains('=', StringComparison.Ordinal))
        {
            throw new PgOptimizerConfigurationException(
                $"The {what} is neither a postgresql:// URI nor a Key=Value; string (no '=' found). Example: postgresql://app@db.example.com:5432/app or Host=db.example.com;Database=app;Username=app.");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrEmpty(builder.Host))
            {
                throw new PgOptimizerConfigurationException($"The {what} names no Host. Add Host=<server>.");
            }

            return builder;
        }
        catch (ArgumentException ex)
        {
            throw new PgOptimizerConfigurationException($"The {what} is not valid: {Scrub(ex.Message, text)}");
        }
        catch (FormatException ex)
        {
            throw new PgOptimizerConfigurationException($"The {what} is not valid: {Scrub(ex.Message, text)}");
        }
        catch (KeyNotFoundException)
        {
            throw new PgOptimizerConfigurationException($"The {what} has a key that Npgsql does not know (misspelled, or a libpq name in a Key=Value string); the keys are listed at https://www.npgsql.org/doc/connection-string-parameters.html.");
        }
    }

    private static NpgsqlConnectionStringBuilder ParseUri(string text, string what)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        var rest = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];

        // The user info ends at the last '@'. Found first, so that a
        // password with an unencoded '/', '?' or '#' is recognised as a password (and never shown
        // as a host, port or path).
        var at = UserInfoEnd(rest);
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = colon >= 0 ? userInfo[..colon] : userInfo;
            if (user.IndexOfAny(Reserved) is var u && u >= 0)
            {
                throw new PgOptimizerConfigurationException(ReservedHint(what, "user name", user[u]));
            }

            if (colon >= 0 && userInfo[(colon + 1)..].IndexOfAny(Reserved) is var r && r >= 0)
            {
                throw new PgOptimizerConfigurationException(ReservedHint(what, "password", userInfo[colon + 1 + r]));
            }

            if (user.Length > 0)
            {
                builder.Username = Decode(user, what, "user name");
            }

            if (colon >= 0)
            {
                builder.Password = Decode(userInfo[(colon + 1)..], what, "password");
            }
        }

        string? query = null;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        if (rest.Contains('#', StringComparison.Ordinal))
        {
            throw new PgOptimizerConfigurationException($"The {what} contains '#', which URIs do not allow here; percent-encode it as %23.");
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var path = slash >= 0 ? rest[(slash + 1)..] : string.Empty;
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw new PgOptimizerConfigurationException($"The {what} has an '@' that no host follows; a user name or password with '@' must percent-encode it as %40.");
        }

        if (authority.Length > 0 && at < 0)
        {
            // No '@': what is here may be "user:password" written without a host. Check it without
            // showing it.
            try
            {
                ParseHosts(authority, what, out _);
            }
            catch (PgOptimizerConfigurationException)
            {
                throw new PgOptimizerConfigurationException($"The {what} has no valid host list (and no '@'): write postgresql://user:password@host:5432/database; a port is a number (the text is not shown, in case it holds a password).");
            }
        }

        if (authority.Length > 0)
        {
            builder.Host = ParseHosts(authority, what, out var singlePort);
            if (singlePort is { } port)
            {
                builder.Port = port;
            }
        }

        if (path.Length > 0)
        {
            if (path.Contains('/', StringComparison.Ordinal))
            {
                throw new PgOptimizerConfigurationException($"The {what} has a path with more than one segment; the path is only the database name, as in /mydb.");
            }

            builder.Database = Decode(path, what, "database name");
        }

        if (!string.IsNullOrEmpty(query))
        {
            foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new PgOptimizerConfigurationException($"The {what} has the query parameter '{Truncate(pair)}' without a value; write name=value.");
                }

                var name = Decode(pair[..eq], what, "query parameter name");
                var isSecret = name.Contains("password", StringComparison.OrdinalIgnoreCase);
                var value = Decode(pair[(eq + 1)..], what, isSecret ? $"value of '{name}'" : $"value of '{name}'");
                ApplyParameter(builder, name, value, isSecret, what);
            }
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new PgOptimizerConfigurationException($"The {what} names no host. Write postgresql://user@host:5432/database.");
        }

        return builder;
    }

    /// <summary>Characters a URI's user info must percent-encode (':' separates user and password; '@' is tolerated: the last one that a host list follows ends the user info).</summary>
    private static readonly char[] Reserved = ['/', '?', '#', '[', ']'];

    private static string ReservedHint(string what, string part, char c) =>
        $"The {what}'s {part} contains '{c}', which a URI must percent-encode: write {Uri.HexEscape(c)} instead (encode / ? # @ : [ ] and % in user names and passwords; the value is not shown).";

    /// <summary>
    /// Index of the '@' ending the user info, -1 when there is none: the last '@' of the text.
    /// Everything before it is user info, never read as a host, port, path or query that an error
    /// message would show, however many unencoded '@', '/', '?' or '#' a password holds; an '@' in
    /// a database name or query value must therefore be percent-encoded (%40).
    /// </summary>
    private static int UserInfoEnd(string rest) => rest.LastIndexOf('@');

    private static void ApplyParameter(NpgsqlConnectionStringBuilder builder, string name, string value, bool isSecret, string what)
    {
        if (AllowedValues.TryGetValue(name, out var allowed) && !allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            throw new PgOptimizerConfigurationException(
                $"The {what} has {name}={Truncate(value)}, which is not one of: {string.Join(", ", allowed)}.");
        }

        if (name.Equals("sslmode", StringComparison.OrdinalIgnoreCase))
        {
            value = value.ToLowerInvariant() switch
            {
                "verify-ca" => "VerifyCA",
                "verify-full" => "VerifyFull",
                var v => char.ToUpperInvariant(v[0]) + v[1..],
            };
        }
        else if (name.Equals("target_session_attrs", StringComparison.OrdinalIgnoreCase))
        {
            value = value.ToLowerInvariant();
        }
        else if (name.Equals("channel_binding", StringComparison.OrdinalIgnoreCase))
        {
            value = char.ToUpperInvariant(value[0]) + value[1..].ToLowerInvariant();
        }

        var key = UriParameterToNpgsql.TryGetValue(name, out var mapped) ? mapped : name;
        try
        {
            builder[key] = value;
        }
        catch (ArgumentException)
        {
            var shown = isSecret ? "(hidden)" : $"'{Truncate(value)}'";
            throw new PgOptimizerConfigurationException(
                $"The {what} has the query parameter '{Truncate(name)}' with value {shown}, which is not a libpq parameter PgOptimizer understands nor a valid Npgsql setting. Known: {string.Join(", ", UriParameterToNpgsql.Keys.Order())}.");
        }
    }

    private static string ParseHosts(string authority, string what, out int? singlePort)
    {
        singlePort = null;
        var hosts = new List<string>();
        var ports = new List<int?>();
        foreach (var raw in authority.Split(','))
        {
            if (raw.Length == 0)
            {
                throw new PgOptimizerConfigurationException($"The {what} has an empty host in its host list; write host1:5432,host2:5432.");
            }

            string host;
            string? portText = null;
            if (raw.StartsWith('['))
            {
                var close = raw.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new PgOptimizerConfigurationException($"The {what} has an IPv6 host '{Truncate(raw)}' without its closing ']'.");
                }

                host = raw[1..close];
                var after = raw[(close + 1)..];
                if (after.Length > 0)
                {
                    if (after[0] != ':')
                    {
                        throw new PgOptimizerConfigurationException($"The {what} has unexpected text after the IPv6 host '{Truncate(raw)}'.");
                    }

                    portText = after[1..];
                }
            }
            else
            {
                var colon = raw.LastIndexOf(':');
                host = colon >= 0 ? raw[..colon] : raw;
                portText = colon >= 0 ? raw[(colon + 1)..] : null;
            }

            host = Decode(host, what, "host");
            if (host.Length == 0)
            {
                throw new PgOptimizerConfigurationException($"The {what} has a port without a host ('{Truncate(raw)}').");
            }

            int? port = null;
            if (portText is not null)
            {
                if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                {
                    throw new PgOptimizerConfigurationException(
                        $"The {what} has the port '{Truncate(portText)}' for host '{Truncate(host)}'; a port is a number from 1 to 65535.");
                }

                port = p;
            }

            hosts.Add(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host);
            ports.Add(port);
        }

        if (hosts.Count == 1)
        {
            singlePort = ports[0];
            return hosts[0].Trim('[', ']');
        }

        // Npgsql takes host:port pairs in its Host list.
        return string.Join(',', hosts.Select((h, i) => ports[i] is { } p ? $"{h}:{p}" : h));
    }

    private static string Decode(string value, string what, string part)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%')
            {
                if (i + 2 >= value.Length || !IsHex(value[i + 1]) || !IsHex(value[i + 2]))
                {
                    throw new PgOptimizerConfigurationException(
                        $"The {what} has a malformed percent-escape in its {part}; every % must be followed by two hex digits (write %25 for a literal %).");
                }

                bytes.Add(byte.Parse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new PgOptimizerConfigurationException($"The {what} has percent-escapes in its {part} that are not valid UTF-8.");
        }

        return decoded.Contains('\0', StringComparison.Ordinal)
            ? throw new PgOptimizerConfigurationException($"The {what} has %00 (a NUL character) in its {part}, which PostgreSQL does not accept.")
            : decoded;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..57] + "...";

    /// <summary>Removes any password value that appears in <paramref name="source"/> from a message.</summary>
    internal static string Scrub(string message, string source)
    {
        foreach (Match m in PasswordValue().Matches(source))
        {
            var secret = m.Groups["v"].Value.Trim();
            if (secret.Length > 0)
            {
                message = message.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return message;
    }

    /// <summary>A connection string for display: the password is replaced by ***.</summary>
    public static string Redact(string text)
    {
        try
        {
            var b = Parse(text);
            return Describe(b);
        }
        catch (PgOptimizerConfigurationException)
        {
            return "(unparseable connection string)";
        }
    }

    /// <summary>A short, password-free description: user@host:port/database.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder b) =>
        $"{(string.IsNullOrEmpty(b.Username) ? string.Empty : b.Username + "@")}{b.Host}{(b.Host?.Contains(',', StringComparison.Ordinal) == true ? string.Empty : ":" + b.Port)}/{b.Database}";

    [GeneratedRegex(@"(?:password|pwd|sslpassword)\s*=\s*(?<v>[^;&]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordValue();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]{0,20}$")]
    private static partial Regex SchemeLike();
}
