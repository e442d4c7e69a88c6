using PgOptimizer.Connections;

namespace PgOptimizer.Tests.Connections;

public sealed class ReplicaOptionsTests
{
    [Fact]
    public void A_uri_carries_name_weight_region_and_query_types_after_the_hash()
    {
        var r = ReplicaOptions.Parse("postgresql://u:p%23w@db-eu.example.com:5432/app?sslmode=require#name=eu1&weight=3&region=eu-west&types=analytics,Reporting");
        Assert.Equal("postgresql://u:p%23w@db-eu.example.com:5432/app?sslmode=require", r.ConnectionString);
        Assert.Equal("eu1", r.Name);
        Assert.Equal(3, r.Weight);
        Assert.Equal("eu-west", r.Region);
        Assert.Equal([QueryType.Analytics, QueryType.Reporting], r.QueryTypes);
    }

    [Fact]
    public void Plain_strings_stay_as_they_are()
    {
        Assert.Equal("Host=db;Password=a#b", ReplicaOptions.Parse("Host=db;Password=a#b").ConnectionString); // no attributes in key=value strings
        Assert.Equal("postgresql://db/app", ReplicaOptions.Parse("postgresql://db/app").ConnectionString);
    }

    [Theory]
    [InlineData("postgresql://db/app#weight=0", "weight")]
    [InlineData("postgresql://db/app#types=olap", "query type 'olap'")]
    [InlineData("postgresql://db/app#colour=red", "attribute 'colour'")]
    public void Bad_attributes_say_what_is_wrong(string text, string named)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => ReplicaOptions.Parse(text));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }
}
