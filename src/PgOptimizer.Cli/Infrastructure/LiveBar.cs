using Spectre.Console;

namespace PgOptimizer.Cli.Infrastructure;

/// <summary>
/// One progress bar driven by progress callbacks (Spectre's Progress runs around a delegate; this
/// keeps it open on a background task until disposed). Reports arrive in order on the caller's
/// thread; nothing else may write to the console while the bar is shown.
/// </summary>
internal sealed class LiveBar : IDisposable
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ProgressTask> _task = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _render;

    public LiveBar(string description, double maxValue, bool showRemaining = true)
    {
        ProgressColumn[] columns = showRemaining
            ? [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn()]
            : [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn()];
        _render = AnsiConsole.Progress().Columns(columns).StartAsync(async ctx =>
        {
            var task = ctx.AddTask(Output.Esc(description), maxValue: Math.Max(maxValue, 0.001));
            _task.SetResult(task);
            await _done.Task.ConfigureAwait(false);
            task.Value = task.MaxValue;
        });
    }

    /// <summary>Moves the bar; a description given replaces the old one (plain text, escaped here).</summary>
    public void Update(double value, string? description = null, double? maxValue = null)
    {
        var task = _task.Task.GetAwaiter().GetResult();
        if (maxValue is { } max)
        {
            task.MaxValue = Math.Max(max, 0.001);
        }

        task.Value = Math.Min(value, task.MaxValue);
        if (description is not null)
        {
            task.Description = Output.Esc(description);
        }
    }

    /// <summary>Completes the bar and waits until it is drawn for the last time.</summary>
    public void Dispose()
    {
        _done.TrySetResult();
        _render.GetAwaiter().GetResult();
    }
}
