using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgOptimizer.Cost;
using PgOptimizer.Samples.NeonApi;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cost;

/// <summary>
/// The Neon client and the local double follow Neon's published OpenAPI document: every field the
/// client reads or writes is in the schema its type names (or in the allow-list beside this test,
/// for what Neon documented since), and every answer of the double validates against the schema of
/// the operation's 200 response.
/// </summary>
public sealed class NeonContractTests
{
    private static readonly string[] Allowed = File.ReadAllLines(Path.Combine(TestServices.RepoRoot, "tests", "PgOptimizer.Tests", "Cost", "neon-api-allowlist.txt"))
        .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    private static IEnumerable<Type> ClientTypes() => typeof(NeonApiClient).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<NeonSchemaAttribute>() is not null);

    private static string Snake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    /// <summary>Each (schema, property) the client's types use, e.g. ("Branch", "logical_size"), ("EndpointUpdateRequest.endpoint", "suspend_timeout_seconds").</summary>
    private static List<(string Type, string Schema, string Property)> Used() =>
        ClientTypes().SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Select(p => (t.Name, t.GetCustomAttribute<NeonSchemaAttribute>()!.Schema, Snake(p.Name))))
            .ToList();

    private static bool InDocument(string schemaPath, string property)
    {
        var doc = OpenApiDocument.Neon;
        foreach (var alternative in schemaPath.Split('|'))
        {
            var parts = alternative.Split('.');
            if (!doc.Schemas.ContainsKey(parts[0]))
            {
                continue;
            }

            JsonNode schema = doc.Schemas[parts[0]]!;
            var found = true;
            foreach (var nested in parts.Skip(1))
            {
                if (!doc.Properties(schema).TryGetValue(nested, out var next))
                {
                    found = false;
                    break;
                }

                schema = next;
            }

            if (found && doc.Properties(schema).ContainsKey(property))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AllowListed(string schemaPath, string property) =>
        schemaPath.Split('|').Any(s => Allowed.Contains($"{s}.{property}") || Allowed.Contains($"{s.Split('.')[0]}.*"));

    [Fact]
    public void Every_field_the_client_reads_or_writes_is_in_the_named_schema_or_the_allow_list()
    {
        var used = Used();
        Assert.True(used.Count > 60, $"only {used.Count} fields found: is the NeonSchema attribute on the client's types?");
        var missing = used.Where(u => !InDocument(u.Schema, u.Property) && !AllowListed(u.Schema, u.Property))
            .Select(u => $"{u.Type}.{u.Property} (schema {u.Schema})").ToList();
        Assert.True(missing.Count == 0, "Not in Neon's OpenAPI document nor in neon-api-allowlist.txt: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_allow_list_entry_is_needed_and_really_absent_from_the_document()
    {
        var used = Used();
        foreach (var entry in Allowed)
        {
            var dot = entry.LastIndexOf('.');
            var (schema, property) = (entry[..dot], entry[(dot + 1)..]);
            if (property == "*")
            {
                Assert.False(OpenApiDocument.Neon.Schemas.ContainsKey(schema), $"{schema} is in the document now: drop it from the allow-list");
                Assert.Contains(used, u => u.Schema == schema);
            }
            else
            {
                Assert.False(InDocument(schema, property), $"{entry} is in the document now: drop it from the allow-list");
                Assert.Contains(used, u => u.Schema.Split('|').Contains(schema) && u.Property == property);
            }
        }
    }

    [Fact]
    public void A_field_outside_the_schema_is_caught()
    {
        // the check itself can fail: a made-up field of Branch is neither in the document nor allowed
        Assert.False(InDocument("Branch", "monthly_price"));
        Assert.False(AllowListed("Branch", "monthly_price"));
        Assert.True(InDocument("Branch", "logical_size"));
        Assert.True(InDocument("EndpointUpdateRequest.endpoint", "suspend_timeout_seconds"));
    }

    public static TheoryData<string, string, string> Operations() => new()
    {
        { "/projects", "get", "projects?limit=10" },
        { "/projects/{project_id}", "get", $"projects/{NeonFixture.ProjectId}" },
        { "/projects/{project_id}/branches", "get", $"projects/{NeonFixture.ProjectId}/branches?limit=2" },
        { "/projects/{project_id}/branches", "get", $"projects/{NeonFixture.ProjectId}/branches" },
        { "/projects/{project_id}/endpoints", "get", $"projects/{NeonFixture.ProjectId}/endpoints" },
        { "/consumption_history/projects", "get", $"consumption_history/projects?project_ids={NeonFixture.ProjectId}&from=2026-11-13T00:00:00Z&to=2026-11-20T00:00:00Z&granularity=hourly" },
        { "/consumption_history/projects", "get", $"consumption_history/projects?project_ids={NeonFixture.ProjectId}&from=2026-10-20T00:00:00Z&to=2026-11-20T00:00:00Z&granularity=daily" },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task The_doubles_answers_validate_against_the_documents_schemas(string path, string method, string url)
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{neon.BaseUrl}/{url}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", neon.Options.ApiKey);
        using var response = await neon.Http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(200, (int)response.StatusCode);
        var schema = OpenApiDocument.Neon.Path(path, method)["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        var errors = OpenApiDocument.Neon.Validate(body, schema);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.All(body!.AsObject().Where(p => p.Value is JsonArray && p.Key is "projects" or "branches" or "endpoints"), p => Assert.NotEmpty(p.Value!.AsArray()));
    }

    [Theory]
    [InlineData("PATCH", "/projects/{project_id}/endpoints/{endpoint_id}", "projects/quiet-river-104857/endpoints/ep-dev-alice-100003", "{\"endpoint\":{\"suspend_timeout_seconds\":300}}")]
    [InlineData("PATCH", "/projects/{project_id}/branches/{branch_id}", "projects/quiet-river-104857/branches/br-dev-bob-100004", "{\"branch\":{\"name\":\"dev/robert\"}}")]
    [InlineData("DELETE", "/projects/{project_id}/branches/{branch_id}", "projects/quiet-river-104857/branches/br-preview-pr-118-100005", null)]
    [InlineData("POST", "/projects/{project_id}/branches/{branch_id}/restore", "projects/quiet-river-104857/branches/br-dev-bob-100004/restore", "{\"source_branch_id\":\"br-main-100001\"}")]
    public async Task The_doubles_changes_take_and_answer_the_documents_shapes(string method, string path, string url, string? body)
    {
        if (body is not null)
        {
            var requestSchema = OpenApiDocument.Neon.Path(path, method.ToLowerInvariant())["requestBody"]!["content"]!["application/json"]!["schema"]!;
            var requestErrors = OpenApiDocument.Neon.Validate(JsonNode.Parse(body), requestSchema);
            Assert.True(requestErrors.Count == 0, string.Join("\n", requestErrors));
        }

        await using var neon = await NeonDoubleHost.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{neon.BaseUrl}/{url}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", neon.Options.ApiKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await neon.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        var schema = OpenApiDocument.Neon.Path(path, method.ToLowerInvariant())["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        var errors = OpenApiDocument.Neon.Validate(JsonNode.Parse(await response.Content.ReadAsStringAsync()), schema);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData(null, 401)]
    [InlineData("wrong-key", 401)]
    public async Task The_double_refuses_a_missing_or_wrong_key_with_the_documents_error(string? key, int status)
    {
        await using var neon = await NeonDoubleHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{neon.BaseUrl}/projects");
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await neon.Http.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        var errors = OpenApiDocument.Neon.Validate(JsonNode.Parse(await response.Content.ReadAsStringAsync()), OpenApiDocument.Neon.Schemas["GeneralError"]!);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task The_double_answers_404_for_an_unknown_project_and_429_with_retry_after_when_throttling()
    {
        await using var neon = await NeonDoubleHost.StartAsync(o => o.ThrottleFirst = 1);
        using var first = new HttpRequestMessage(HttpMethod.Get, $"{neon.BaseUrl}/projects/no-such-project");
        first.Headers.Authorization = new AuthenticationHeaderValue("Bearer", neon.Options.ApiKey);
        using var throttled = await neon.Http.SendAsync(first);
        Assert.Equal(429, (int)throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter?.Delta);

        using var second = new HttpRequestMessage(HttpMethod.Get, $"{neon.BaseUrl}/projects/no-such-project");
        second.Headers.Authorization = new AuthenticationHeaderValue("Bearer", neon.Options.ApiKey);
        using var missing = await neon.Http.SendAsync(second);
        Assert.Equal(404, (int)missing.StatusCode);
    }
}
