using System.Net.Http.Json;
using PgOptimizer.Diagnostics;

namespace PgOptimizer.Monitoring;

// Alerts: logging, metrics and the webhook of every alert state change.
public sealed partial class DatabasePerformanceMonitor
{
    private void OnAlertEvent(AlertEvent e)
    {
        if (e.To == HealthLevel.Healthy)
        {
            LogAlertResolved(_logger, e.Name, e.Subject ?? "-", e.Value, e.Unit);
        }
        else
        {
            LogAlertChanged(_logger, e.Name, e.Kind, e.To, e.Subject ?? "-", e.Value, e.Unit, e.Threshold);
        }

        PgOptimizerDiagnostics.AlertTransitions.Add(1, new KeyValuePair<string, object?>("alert", e.Name), new KeyValuePair<string, object?>("to", e.To.ToString().ToLowerInvariant()));
        AlertChanged?.Invoke(this, e);
        if (_options.AlertWebhookUrl is { } url)
        {
            _ = PostWebhookAsync(url, e);
        }
    }

    private async Task PostWebhookAsync(Uri url, AlertEvent e)
    {
        try
        {
            _webhook ??= new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await _webhook.PostAsJsonAsync(url, new { e.Name, e.Kind, from = e.From, to = e.To, e.Value, e.Threshold, e.Unit, e.Subject, e.At, e.Instance }, Json).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogWebhookFailed(_logger, url.Host, $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            LogWebhookFailed(_logger, url.Host, ex.Message); // the host only: a webhook URL can carry a token
        }
    }
}
