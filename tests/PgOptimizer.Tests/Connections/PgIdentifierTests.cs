using PgOptimizer.Connections;

namespace PgOptimizer.Tests.Connections;

public sealed class PgIdentifierTests
{
    [Theory]
    [InlineData("users", null, "users", "\"users\"")]
    [InlineData("app.users", "app", "users", "\"app\".\"users\"")]
    [InlineData("\"My Schema\".\"Users\"", "My Schema", "Users", "\"My Schema\".\"Users\"")]
    [InlineData("public.\"Order.Items\"", "public", "Order.Items", "\"public\".\"Order.Items\"")]
    [InlineData("\"a\"\"b\"", null, "a\"b", "\"a\"\"b\"")]
    [InlineData(" Users ", null, "Users", "\"Users\"")]
    [InlineData("app.my table", "app", "my table", "\"app\".\"my table\"")]
    [InlineData("users; DROP TABLE x", null, "users; DROP TABLE x", "\"users; DROP TABLE x\"")]
    public void Parses_plain_qualified_and_quoted_names(string text, string? schema, string name, string sql)
    {
        var id = PgIdentifier.Parse(text);
        Assert.Equal(schema, id.Schema);
        Assert.Equal(name, id.Name);
        Assert.Equal(sql, id.ToSql());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b.c")]
    [InlineData("\"unclosed")]
    [InlineData(".users")]
    [InlineData("users.")]
    [InlineData("my\"table")]
    public void Rejects_what_is_not_a_name_and_says_how_to_write_one(string text)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => PgIdentifier.Parse(text));
        Assert.Contains("schema.name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quoting_doubles_embedded_quotes_so_a_name_cannot_end_the_identifier()
    {
        Assert.Equal("\"x\"\"; DROP TABLE t; --\"", PgIdentifier.Quote("x\"; DROP TABLE t; --"));
        Assert.Equal("\"s\".\"t\"", PgIdentifier.Quote("s", "t"));
        Assert.Equal("\"t\"", PgIdentifier.Quote(null, "t"));
    }

    [Fact]
    public void A_default_schema_applies_only_to_unqualified_names()
    {
        Assert.Equal("public", PgIdentifier.Parse("users").WithDefaultSchema("public").Schema);
        Assert.Equal("app", PgIdentifier.Parse("app.users").WithDefaultSchema("public").Schema);
    }
}
