using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Cost;

/// <summary>
/// Re-reads the budget of the configured project every <see cref="CostOptions.BudgetRefreshInterval"/>
/// (consumption history only: it never wakes a compute) so that monitoring raises its
/// <c>neon_budget</c> alert at 80 % and 100 % of <see cref="CostOptions.MonthlyBudget"/>.
/// </summary>
public sealed partial class BudgetWatcher : BackgroundService, IBudgetSource
{
    private readonly IServiceProvider _services;
    private readonly CostOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private BudgetAnalysis? _last;

    /// <summary>Creates the watcher.</summary>
    public BudgetWatcher(IServiceProvider services, IOptions<CostOptions> options, ILogger<BudgetWatcher>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The last budget analysis read.</summary>
    public BudgetAnalysis? Last => Volatile.Read(ref _last);

    /// <inheritdoc/>
    public BudgetReading? GetBudget() => Last is { Budget: { } budget, ShareOfBudget: { } share } b
        ? new BudgetReading(budget, b.MonthToDate, b.Forecast, share, b.PeriodEnd)
        : null;

    /// <summary>Reads the budget now.</summary>
    public async Task<BudgetAnalysis?> RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (_options.MonthlyBudget is null || string.IsNullOrWhiteSpace(_options.ProjectId) || string.IsNullOrWhiteSpace(_options.NeonApiKey))
        {
            return null;
        }

        var optimizer = (NeonCostOptimizer)_services.GetService(typeof(NeonCostOptimizer))!;
        var budget = await optimizer.GetBudgetAsync(_options.ProjectId, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _last, budget);
        return budget;
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.MonthlyBudget is null || string.IsNullOrWhiteSpace(_options.ProjectId) || string.IsNullOrWhiteSpace(_options.NeonApiKey))
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.BudgetRefreshInterval, _time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NeonApiException or PgOptimizerConfigurationException)
            {
                LogBudgetUnavailable(_logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "The Neon budget could not be read: {Reason}")]
    private static partial void LogBudgetUnavailable(ILogger logger, string reason);
}
