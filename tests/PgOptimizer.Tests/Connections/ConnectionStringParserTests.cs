using Npgsql;
using PgOptimizer.Connections;

namespace PgOptimizer.Tests.Connections;

public class ConnectionStringParserTests
{
    [Fact]
    public void Parses_full_uri_with_percent_encoded_credentials_and_parameters()
    {
        var b = ConnectionStringParser.Parse("postgresql://app%40corp:p%3Ass%2Fw%40rd@db.example.com:6543/my%20db?sslmode=verify-full&channel_binding=require&application_name=api&connect_timeout=7");
        Assert.Equal("app@corp", b.Username);
        Assert.Equal("p:ss/w@rd", b.Password);
        Assert.Equal("db.example.com", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("my db", b.Database);
        Assert.Equal(SslMode.VerifyFull, b.SslMode);
        Assert.Equal(ChannelBinding.Require, b.ChannelBinding);
        Assert.Equal("api", b.ApplicationName);
        Assert.Equal(7, b.Timeout);
    }

    [Fact]
    public void Accepts_postgres_scheme_and_defaults()
    {
        var b = ConnectionStringParser.Parse("postgres://localhost");
        Assert.Equal("localhost", b.Host);
        Assert.Equal(5432, b.Port);
        Assert.Null(b.Password);
    }

    [Fact]
    public void Parses_several_hosts_with_ports_and_ipv6()
    {
        var b = ConnectionStringParser.Parse("postgresql://u:p@h1:5432,h2:5433,[::1]:5434/db?target_session_attrs=read-write");
        Assert.Equal("h1:5432,h2:5433,[::1]:5434", b.Host);
        Assert.Equal("read-write", b.TargetSessionAttributes);
    }

    [Fact]
    public void Takes_npgsql_settings_as_query_parameters()
    {
        var b = ConnectionStringParser.Parse("postgresql://u@h/db?Maximum%20Pool%20Size=7");
        Assert.Equal(7, b.MaxPoolSize);
    }

    [Fact]
    public void Parses_key_value_strings()
    {
        var b = ConnectionStringParser.Parse("Host=h;Port=5433;Database=d;Username=u;Password=secret");
        Assert.Equal("h", b.Host);
        Assert.Equal(5433, b.Port);
        Assert.Equal("secret", b.Password);
    }

    [Theory]
    [InlineData("postgresql://u:hunter2@h:99999/db", "port '99999'")]
    [InlineData("postgresql://u:hunter2@h:abc/db", "port 'abc'")]
    [InlineData("postgresql://u:hunter2@h/db?sslmode=sometimes", "sslmode=sometimes")]
    [InlineData("postgresql://u:hunter2@h/db?channel_binding=maybe", "channel_binding")]
    [InlineData("postgresql://u:hunter2@h/db?frobnicate=1", "'frobnicate'")]
    [InlineData("postgresql://u:hunter2@h/db?novalue", "without a value")]
    [InlineData("postgresql://u:hunter2@/db", "names no host")]
    [InlineData("postgresql://u:hunter2@h1,,h2/db", "empty host")]
    [InlineData("postgresql://u:hunter2@[::1/db", "closing ']'")]
    [InlineData("postgresql://u:hunter2@h/db/extra", "more than one segment")]
    [InlineData("postgresql://u:hunter2@h/d%zzb", "percent-escape")]
    [InlineData("mysql://u:hunter2@h/db", "scheme 'mysql://'")]
    [InlineData("just some words", "neither")]
    [InlineData("Host=h;Password=hunter2;Frobnicate=1", "frobnicate")]
    [InlineData("Password=hunter2;Database=d", "no Host")]
    [InlineData("   ", "empty")]
    public void Malformed_input_names_the_bad_part_and_hides_the_password(string input, string expectedFragment)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => ConnectionStringParser.Parse(input));
        Assert.Contains(expectedFragment, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_percent_escape_in_password_does_not_echo_it()
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => ConnectionStringParser.Parse("postgresql://u:hunt%zzer2@h/db"));
        Assert.Contains("password", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_and_describe_never_show_the_password()
    {
        var shown = ConnectionStringParser.Redact("postgresql://alice:s3cr3t@db:5432/app");
        Assert.Equal("alice@db:5432/app", shown);
        Assert.DoesNotContain("s3cr3t", shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ep-cool-darkness-123456.us-east-2.aws.neon.tech", true, false, "ep-cool-darkness-123456")]
    [InlineData("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech", true, true, "ep-cool-darkness-123456")]
    [InlineData("db.internal", false, false, null)]
    [InlineData("pgbouncer-pooler.internal", false, true, null)]
    public void Recognises_neon_and_pooler_hosts(string host, bool neon, bool pooler, string? endpointId)
    {
        var kind = HostKind.Of(host);
        Assert.Equal(neon, kind.IsNeon);
        Assert.Equal(pooler, kind.IsPooler);
        Assert.Equal(endpointId, kind.EndpointId);
    }

    [Fact]
    public void Neon_pooler_settings_are_transaction_mode_safe_and_tolerate_cold_starts()
    {
        var b = PgConnectionManager.BuildSettings("postgresql://u:p@ep-x-123-pooler.eu-central-1.aws.neon.tech/neondb", new ConnectionOptions(), "test");
        Assert.Equal(0, b.MaxAutoPrepare);
        Assert.True(b.NoResetOnClose);
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal(ConnectionDefaults.NeonConnectTimeoutSeconds, b.Timeout);

        var direct = PgConnectionManager.BuildSettings("postgresql://u:p@ep-x-123.eu-central-1.aws.neon.tech/neondb?sslmode=verify-full", new ConnectionOptions(), "test");
        Assert.Equal(ConnectionDefaults.MaxAutoPrepare, direct.MaxAutoPrepare);
        Assert.Equal(SslMode.VerifyFull, direct.SslMode);
    }

    [Fact]
    public void Explicit_settings_win_over_manager_defaults()
    {
        var b = PgConnectionManager.BuildSettings("Host=h;Max Auto Prepare=0;Maximum Pool Size=5;Application Name=mine", new ConnectionOptions(), "test");
        Assert.Equal(0, b.MaxAutoPrepare);
        Assert.Equal(5, b.MaxPoolSize);
        Assert.Equal("mine", b.ApplicationName);
    }
}
