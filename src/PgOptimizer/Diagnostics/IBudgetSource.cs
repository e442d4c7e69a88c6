namespace PgOptimizer.Diagnostics;

/// <summary>The Neon budget's latest reading; the cost optimizer provides it, monitoring alerts on it.</summary>
public interface IBudgetSource
{
    /// <summary>The last reading; null before the first, or when no budget is set.</summary>
    BudgetReading? GetBudget();
}

/// <summary>A budget against the forecast of the billing period.</summary>
/// <param name="Budget">The monthly budget, dollars.</param>
/// <param name="MonthToDate">Dollars so far in the period.</param>
/// <param name="Forecast">Dollars forecast for the whole period.</param>
/// <param name="ShareOfBudget">Forecast / budget.</param>
/// <param name="PeriodEnd">End of the billing period.</param>
public sealed record BudgetReading(decimal Budget, decimal MonthToDate, decimal Forecast, double ShareOfBudget, DateTimeOffset PeriodEnd);
