using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Cost;

/// <summary>Neon's published OpenAPI document, and a validator of JSON against its schemas (the subset it uses: $ref, allOf, type, required, properties, items, enum, minimum, format date-time).</summary>
public sealed class OpenApiDocument
{
    private static readonly Lazy<OpenApiDocument> Instance = new(() => new OpenApiDocument(
        JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(TestServices.RepoRoot, "tests", "PgOptimizer.Tests", "Cost", "neon", "openapi-v2.json")))!));

    private readonly JsonNode _root;

    private OpenApiDocument(JsonNode root) => _root = root;

    public static OpenApiDocument Neon => Instance.Value;

    public JsonObject Schemas => _root["components"]!["schemas"]!.AsObject();

    public JsonNode Path(string path, string method) => _root["paths"]![path]![method]!;

    public JsonNode Resolve(JsonNode schema)
    {
        while (schema["$ref"] is { } r)
        {
            schema = _root["components"]!["schemas"]![r.GetValue<string>().Split('/')[^1]]!;
        }

        return schema;
    }

    /// <summary>The properties a schema declares, allOf included (empty when it is not an object schema).</summary>
    public Dictionary<string, JsonNode> Properties(JsonNode schema)
    {
        schema = Resolve(schema);
        var all = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        if (schema["allOf"] is JsonArray parts)
        {
            foreach (var part in parts)
            {
                foreach (var (k, v) in Properties(part!))
                {
                    all[k] = v;
                }
            }
        }

        if (schema["properties"] is JsonObject props)
        {
            foreach (var (k, v) in props)
            {
                all[k] = v!;
            }
        }

        return all;
    }

    /// <summary>The violations of <paramref name="value"/> against <paramref name="schema"/>, each with its JSON path.</summary>
    public List<string> Validate(JsonNode? value, JsonNode schema, string at = "$")
    {
        var errors = new List<string>();
        schema = Resolve(schema);
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                errors.Add($"{at}: null where the schema does not allow it");
            }

            return errors;
        }

        if (schema["allOf"] is JsonArray parts)
        {
            foreach (var part in parts)
            {
                errors.AddRange(Validate(value, part!, at));
            }
        }

        if (schema["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, value)))
        {
            errors.Add($"{at}: {value.ToJsonString()} is not one of {values.ToJsonString()}");
        }

        var type = schema["type"]?.GetValue<string>();
        switch (type)
        {
            case "object":
            case null when schema["properties"] is not null || schema["required"] is not null:
                if (value is not JsonObject obj)
                {
                    errors.Add($"{at}: expected an object, got {value.GetValueKind()}");
                    break;
                }

                foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()))
                {
                    if (!obj.ContainsKey(required))
                    {
                        errors.Add($"{at}: required property '{required}' missing");
                    }
                }

                if (schema["properties"] is JsonObject props)
                {
                    foreach (var (k, v) in obj)
                    {
                        if (props[k] is { } propSchema)
                        {
                            errors.AddRange(Validate(v, propSchema, $"{at}.{k}"));
                        }
                    }
                }

                break;
            case "array":
                if (value is not JsonArray arr)
                {
                    errors.Add($"{at}: expected an array, got {value.GetValueKind()}");
                }
                else if (schema["items"] is { } items)
                {
                    for (var i = 0; i < arr.Count; i++)
                    {
                        errors.AddRange(Validate(arr[i], items, $"{at}[{i}]"));
                    }
                }

                break;
            case "string":
                if (value.GetValueKind() != JsonValueKind.String)
                {
                    errors.Add($"{at}: expected a string, got {value.GetValueKind()}");
                }
                else if (schema["format"]?.GetValue<string>() == "date-time" && !DateTimeOffset.TryParse(value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    errors.Add($"{at}: '{value}' is not a date-time");
                }

                break;
            case "integer":
                if (value.GetValueKind() != JsonValueKind.Number || !long.TryParse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{at}: expected an integer, got {value.ToJsonString()}");
                }

                break;
            case "number":
                if (value.GetValueKind() != JsonValueKind.Number)
                {
                    errors.Add($"{at}: expected a number, got {value.GetValueKind()}");
                }
                else if (schema["minimum"] is { } min && value.GetValue<double>() < min.GetValue<double>())
                {
                    errors.Add($"{at}: {value} is below the minimum {min}");
                }

                break;
            case "boolean":
                if (value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add($"{at}: expected a boolean, got {value.GetValueKind()}");
                }

                break;
        }

        return errors;
    }
}
