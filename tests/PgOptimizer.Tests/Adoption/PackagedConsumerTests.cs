using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using PgOptimizer.Tests.Infrastructure;

namespace PgOptimizer.Tests.Adoption;

/// <summary>
/// The packages as a consumer gets them: packed from this checkout, installed from a local folder
/// into an application outside the repository (none of its build settings apply), built and run.
/// Runs alone: packing rebuilds the projects the other tests run.
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class PackagedConsumerTests
{
    [Fact]
    public async Task A_consumer_of_the_packed_packages_builds_and_answers()
    {
        var work = Directory.CreateTempSubdirectory("pgopt-consumer-");
        try
        {
            var version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            var packages = Path.Combine(work.FullName, "packages");
            await RunAsync("bash", [Path.Combine(TestServices.RepoRoot, "scripts", "pack.sh"), packages, version], TestServices.RepoRoot, TimeSpan.FromMinutes(5));

            foreach (var id in new[] { "PgOptimizer", "PgOptimizer.AspNetCore", "PgOptimizer.Cli" })
            {
                Assert.True(File.Exists(Path.Combine(packages, $"{id}.{version}.snupkg")), $"{id}: no symbol package");
                using var zip = ZipFile.OpenRead(Path.Combine(packages, $"{id}.{version}.nupkg"));
                var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var ns = nuspec.Root!.Name.Namespace;
                var meta = nuspec.Root.Element(ns + "metadata")!;
                Assert.Equal("MIT", meta.Element(ns + "license")?.Value);
                Assert.Equal("README.md", meta.Element(ns + "readme")?.Value);
                Assert.NotNull(zip.GetEntry("README.md"));
                Assert.False(string.IsNullOrWhiteSpace(meta.Element(ns + "description")?.Value));
                Assert.Equal("git", meta.Element(ns + "repository")?.Attribute("type")?.Value);
                Assert.False(string.IsNullOrEmpty(meta.Element(ns + "repository")?.Attribute("url")?.Value));
                // nothing that would change a consumer's build
                Assert.DoesNotContain(zip.Entries, e => e.FullName.StartsWith("build/", StringComparison.Ordinal) || e.FullName.StartsWith("buildTransitive/", StringComparison.Ordinal));
                Assert.DoesNotContain(meta.Descendants(ns + "dependency"), d => d.Attribute("id")?.Value.Contains("Analyzers", StringComparison.Ordinal) == true);
                if (id == "PgOptimizer.Cli")
                {
                    Assert.Contains(zip.Entries, e => e.FullName.EndsWith("/pgopt.dll", StringComparison.Ordinal) && e.FullName.StartsWith("tools/", StringComparison.Ordinal));
                }
            }

            var app = Path.Combine(work.FullName, "consumer");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="pgoptimizer-local" value="{packages}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk.Web">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="PgOptimizer.AspNetCore" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                using PgOptimizer.AspNetCore;
                using PgOptimizer.Caching;
                using PgOptimizer.Connections;
                using PgOptimizer.Hosting;

                var builder = WebApplication.CreateBuilder(args);
                builder.Services.AddPgOptimizer(builder.Configuration);
                var app = builder.Build();
                app.MapPgOptimizerHealthChecks();
                app.MapGet("/answer", async (SmartCache cache, PgConnectionManager db, CancellationToken ct) =>
                    await cache.GetOrReadAsync(db, "answer", 40, static async (conn, n, ct) =>
                    {
                        await using var cmd = new Npgsql.NpgsqlCommand("SELECT $1 + 2", conn);
                        cmd.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = n });
                        return (int)(await cmd.ExecuteScalarAsync(ct))!;
                    }, CacheStrategies.UserProfile, cancellationToken: ct));
                app.Run();
                """);
            await RunAsync("dotnet", ["build", "-c", "Release", "-nologo", "-v", "quiet"], app, TimeSpan.FromMinutes(5));

            var port = FreePort();
            var psi = new ProcessStartInfo("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll"), "--urls", $"http://127.0.0.1:{port}"])
            {
                WorkingDirectory = app,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.Environment["PGOPT_CONNECTION"] = TestServices.PrimaryConnection;
            psi.Environment["REDIS_URL"] = TestServices.RedisUrl;
            psi.Environment.Remove("PGOPT_REPLICA_CONNECTIONS");
            using var process = Process.Start(psi)!;
            var output = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
                string? answer = null;
                await TestServices.WaitUntilAsync(async () =>
                {
                    try
                    {
                        answer = await http.GetStringAsync("/answer");
                        return true;
                    }
                    catch (HttpRequestException) when (!process.HasExited)
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(60), "the consumer to answer");
                Assert.Equal("42", answer);
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
            }
            catch (Exception ex) when (ex is TimeoutException or HttpRequestException)
            {
                throw new InvalidOperationException($"The consumer did not answer: {output}", ex);
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args, string directory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({p.ExitCode}):\n{await stdout}\n{await stderr}");
    }
}
