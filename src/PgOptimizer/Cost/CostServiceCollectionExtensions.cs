using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using PgOptimizer.Connections;
using PgOptimizer.Diagnostics;
using PgOptimizer.Indexing;

namespace PgOptimizer.Cost;

/// <summary>Wires the Neon cost optimizer.</summary>
public static class CostServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="NeonCostOptimizer"/>, its typed <see cref="NeonApiClient"/> (retries 429 after
    /// Retry-After and 5xx; a POST is not retried unless Neon refused it with 429) and the
    /// <see cref="BudgetWatcher"/> that feeds monitoring's budget alert. The database analyses use the
    /// connection manager and index manager when they are registered.
    /// </summary>
    public static IServiceCollection AddPgCost(this IServiceCollection services, Action<CostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<CostOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.AddHttpClient<NeonApiClient>((sp, http) =>
            {
                http.BaseAddress = NeonApiClient.BaseUri(sp.GetRequiredService<IOptions<CostOptions>>().Value.NeonApiUrl);
                http.Timeout = Timeout.InfiniteTimeSpan; // the resilience handler's timeouts apply
            })
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.MaxRetryAttempts = 4;
                o.Retry.Delay = TimeSpan.FromMilliseconds(500);
                o.Retry.UseJitter = true;
                o.Retry.ShouldRetryAfterHeader = true;
                o.Retry.DisableForUnsafeHttpMethods();
                var unsafeOnly = o.Retry.ShouldHandle;
                o.Retry.ShouldHandle = args => args.Outcome.Result?.StatusCode == System.Net.HttpStatusCode.TooManyRequests
                    ? ValueTask.FromResult(true)
                    : unsafeOnly(args);
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(30);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(60);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(2);
            });
        services.TryAddSingleton(sp => new NeonCostOptimizer(
            sp.GetRequiredService<NeonApiClient>(),
            sp.GetRequiredService<IOptions<CostOptions>>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<NeonCostOptimizer>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<PgConnectionManager>(),
            sp.GetService<IndexManager>()));
        services.TryAddSingleton<BudgetWatcher>();
        services.TryAddSingleton<IBudgetSource>(sp => sp.GetRequiredService<BudgetWatcher>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<BudgetWatcher>());
        return services;
    }

    /// <summary>Adds the cost optimizer bound from the section's <c>Cost</c> part; NEON_API_KEY, NEON_PROJECT_ID and NEON_MONTHLY_BUDGET fill what it leaves empty.</summary>
    public static IServiceCollection AddPgCost(this IServiceCollection services, IConfiguration configuration, string sectionName = ConnectionsServiceCollectionExtensions.PgOptimizerSection)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPgCost();
        ConnectionsServiceCollectionExtensions.BindOnce<CostOptions>(services, configuration, sectionName, "Cost");
        services.PostConfigure<CostOptions>(o => FromEnvironment(o, Environment.GetEnvironmentVariable));
        return services;
    }

    /// <summary>Fills the options' key, project and budget from NEON_API_KEY, NEON_PROJECT_ID, NEON_ORG_ID and NEON_MONTHLY_BUDGET where they are empty.</summary>
    /// <exception cref="PgOptimizerConfigurationException">NEON_MONTHLY_BUDGET is not a positive number of dollars.</exception>
    public static void FromEnvironment(CostOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        options.NeonApiKey ??= Blank(environment("NEON_API_KEY"));
        options.ProjectId ??= Blank(environment("NEON_PROJECT_ID"));
        options.NeonOrgId ??= Blank(environment("NEON_ORG_ID"));
        if (options.MonthlyBudget is null && Blank(environment("NEON_MONTHLY_BUDGET")) is { } budget)
        {
            options.MonthlyBudget = ParseBudget(budget, "NEON_MONTHLY_BUDGET");
        }
    }

    /// <summary>A budget in dollars: 300, 300.50 or $300.</summary>
    /// <exception cref="PgOptimizerConfigurationException">Not a positive number of dollars.</exception>
    public static decimal ParseBudget(string text, string source)
    {
        var t = (text ?? string.Empty).Trim().TrimStart('$').Replace(",", string.Empty, StringComparison.Ordinal);
        if (!decimal.TryParse(t, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= 0 || value > 10_000_000)
        {
            throw new PgOptimizerConfigurationException($"{source} '{text}' is not a monthly budget: give dollars as a positive number, e.g. 300 or 249.99.");
        }

        return value;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
