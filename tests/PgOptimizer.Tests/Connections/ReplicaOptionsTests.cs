using PgOptimizer.Connections;

namespace PgOptimizer.Tests.Connections;

public sealed class ReplicaOptionsTests
{
    [Fact]
    public void A_uri_carries_name_weight_region_and_query_types_after_the_hash()
    {
        var r = ReplicaOptions.Parse("postgresql://u:p%23w@db-eu.example.com:5432/app?sslmode=require#name=eu1&weight=3&region=eu-west&types=analytics,Reporting&timeout=300");
        Assert.Equal(TimeSpan.FromSeconds(300), r.StatementTimeout);
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
    [InlineData("postgresql://db/app#timeout=0", "statement timeout")]
    public void Bad_attributes_say_what_is_wrong(string text, string named)
    {
        var ex = Assert.Throws<PgOptimizerConfigurationException>(() => ReplicaOptions.Parse(text));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pinned_replica_gets_its_own_statement_timeout()
    {
        var options = new ConnectionOptions { ConnectionString = "Host=127.0.0.1;Port=1;Database=x" };
        options.ReplicaConnectionStrings.Add("postgresql://u@127.0.0.1:2/x#name=olap&types=analytics&timeout=600");
        options.ReplicaConnectionStrings.Add("postgresql://u@127.0.0.1:3/x");
        await using var manager = new PgConnectionManager(Microsoft.Extensions.Options.Options.Create(options));
        Assert.Equal(600, manager.Replicas.Single(r => r.Name == "olap").Settings.CommandTimeout);
        Assert.Equal(30, manager.Replicas.Single(r => r.Name == "replica2").Settings.CommandTimeout);
        Assert.Equal([QueryType.Analytics], manager.Replicas.Single(r => r.Name == "olap").QueryTypes);
    }
}

