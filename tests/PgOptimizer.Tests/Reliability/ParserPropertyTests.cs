using CsCheck;
using PgOptimizer.Cli.Infrastructure;
using PgOptimizer.Connections;
using PgOptimizer.Indexing;
using PgOptimizer.Samples.Pitches;
using PgOptimizer.Tests.Cli;
using PgOptimizer.Tests.Infrastructure;
using PgOptimizer.Workload;
using Xunit.Abstractions;

namespace PgOptimizer.Tests.Reliability;

/// <summary>
/// Generated inputs for every parser of user input: each either parses or throws the project's own
/// error, whose message never carries the secret planted in the input; a sample through the CLI exits 2.
/// </summary>
public sealed class ParserPropertyTests(ITestOutputHelper output)
{
    private const string Secret = "Zq9Secret";
    private const long Iterations = 20_000;

    private static readonly Gen<string> Noise = Gen.String[Gen.Char[' ', '~'], 0, 40];

    // URI parts drawn from letters, digits and every character a URI treats specially
    private static readonly Gen<string> Part = Gen.String[Gen.OneOf(Gen.Char['a', 'z'], Gen.Char['0', '9'], Gen.Char["/?#@:[]%=&;,. -_+"]), 0, 12];

    private static readonly Gen<string> Uri =
        Gen.Select(Gen.OneOf(Gen.Const("postgresql://"), Gen.Const("postgres://")), Part, Part, Part, Gen.Int[-5, 70000], Part, Part)
            .Select((scheme, user, pw, host, port, db, query) =>
                $"{scheme}{user}:{pw[..(pw.Length / 2)]}{Secret}{pw[(pw.Length / 2)..]}@{host}{(port >= 0 ? $":{port}" : string.Empty)}/{db}{(query.Length > 0 ? "?" + query : string.Empty)}");

    private static readonly Gen<string> KeyValue =
        Gen.Select(Part, Part, Gen.OneOf(Gen.Const("Host"), Gen.Const("Port"), Gen.Const("Timeout"), Gen.Const("SSL Mode"), Gen.Const("Bogus Key"), Part), Part)
            .Select((host, pw, key, value) => $"Host={host};Password={Secret}{pw};{key}={value}");

    private static void OnlyOurError(Action parse, string input)
    {
        try
        {
            parse();
        }
        catch (PgOptimizerConfigurationException ex)
        {
            Assert.False(ex.Message.Contains(Secret, StringComparison.Ordinal), $"the secret is in: {ex.Message}");
        }
        catch (Exception ex)
        {
            Assert.Fail($"{ex.GetType().Name} for input {input}: {ex.Message}");
        }
    }

    private long Check(string what, Gen<string> gen, Action<string> parse)
    {
        long tried = 0;
        gen.Sample(s =>
        {
            Interlocked.Increment(ref tried);
            OnlyOurError(() => parse(s), s);
        }, iter: Iterations, threads: 1);
        output.WriteLine($"{what}: {tried:N0} inputs");
        return tried;
    }

    [Fact]
    public void Connection_strings_parse_or_fail_with_our_error_and_never_show_the_password()
    {
        var tried = Check("postgresql URIs", Uri, s => ConnectionStringParser.Parse(s))
            + Check("Key=Value strings", KeyValue, s => ConnectionStringParser.Parse(s))
            + Check("anything", Noise, s => ConnectionStringParser.Parse(s))
            // a list is split at whitespace, which a URI never holds (a space is %20): its URIs have none
            + Check("replica lists", Gen.Select(Uri.Where(u => !u.Contains(' ', StringComparison.Ordinal)), KeyValue).Select((a, b) => $"{a} {b}#weight=x"), s =>
            {
                foreach (var r in ConnectionsServiceCollectionExtensions.SplitList(s))
                {
                    ConnectionStringParser.Parse(ReplicaOptions.Parse(r).ConnectionString!);
                }
            });
        Assert.True(tried >= 4 * Iterations);
    }

    [Fact]
    public void Redis_urls_durations_mixes_and_catalogs_parse_or_fail_with_our_error()
    {
        var redis = Gen.Select(Gen.OneOf(Gen.Const("redis://"), Gen.Const("rediss://"), Gen.Const("http://"), Gen.Const("")), Part, Part, Part)
            .Select((scheme, user, host, rest) => $"{scheme}{user}:{Secret}@{host}{rest}");
        Check("Redis URLs", redis, s => RedisOptions.ParseUrl(s, TimeSpan.FromSeconds(2)));
        Check("Upstash REST URLs", Gen.OneOf(Part, Noise), s => RedisOptions.FromUpstashRest(s, Secret + s));

        var duration = Gen.OneOf(Noise, Gen.Select(Gen.Double, Gen.OneOf(Gen.Const("ms"), Gen.Const("s"), Gen.Const("m"), Gen.Const("h"), Gen.Const("d"), Gen.Const(""))).Select((n, u) => $"{n}{u}"));
        Check("durations", duration, s => DurationParser.Parse(s, "--duration"));

        var workload = new PitchesWorkload(new DemoKeySpace(1, 0.01, DateTimeOffset.UnixEpoch, 2, 100, 1000));
        var names = Gen.OneOf<string>("reads", "writes", "pitch_detail", "track_event", "nope", "");
        var mix = Gen.OneOf(Noise, Gen.Select(names, Gen.Int[-3, 200], names, Gen.Double).Select((a, x, b, y) => $"{a}={x},{b}={y}"));
        Check("mixes", mix, s => WorkloadMix.Parse(workload, s));

        var value = Gen.OneOf<string>("\"x\"", "1", "1.5", "true", "\"true\"", "null", "[]", "{}", "[\"a\"]", "-1", "1e99");
        var key = Gen.OneOf<string>("name", "table", "columns", "method", "unique", "where", "include", "with", "priority", "impact", "serves", "other");
        var entry = Gen.Select(key, value).Array[0, 6].Select(kv => "{" + string.Join(",", kv.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");
        var catalog = Gen.OneOf(Noise, entry.Array[0, 3].Select(es => "{\"indexes\":[" + string.Join(",", es) + "]}"));
        Check("index catalogs", catalog, s => IndexCatalog.Parse(s));
        Check("identifiers", Noise, s => PgIdentifier.Parse(s));
        Check("statements (one or several)", Noise, s => SqlStatements.IsSingle(s));
    }

    [Fact]
    public async Task Generated_bad_input_through_the_command_line_exits_2_without_the_secret()
    {
        // inputs that are certainly bad, with the secret where a user would put it
        var word = Gen.String[Gen.OneOf(Gen.Char['a', 'z'], Gen.Char['0', '9']), 1, 10];
        var inputs = new List<string[]>();
        Gen.Select(Part, word).Select((pw, host) => $"postgresql://u:{Secret}/{pw}@{host}/db").Sample(s => inputs.Add(["doctor", "--connection", s]), iter: 4, threads: 1);
        Gen.Select(Part, Gen.Int[1, 5]).Select((junk, n) => $"{junk}{n}x").Sample(s => inputs.Add(["loadtest", "--duration", s + "q"]), iter: 3, threads: 1);
        word.Select(h => $"redis://u:{Secret}@{h}:6379/99").Sample(s => inputs.Add(["doctor", "--redis", s]), iter: 3, threads: 1);
        var env = new Dictionary<string, string?> { ["PGOPT_CONNECTION"] = TestServices.PrimaryConnection, ["REDIS_URL"] = TestServices.RedisUrl };
        foreach (var args in inputs)
        {
            var r = await PgoptProcess.RunAsync(env, args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)} exited {r.ExitCode}: {r.All}");
            Assert.DoesNotContain(Secret, r.All, StringComparison.Ordinal);
        }

        output.WriteLine($"command lines: {inputs.Count}");
    }
}
