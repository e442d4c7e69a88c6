namespace PgOptimizer.Monitoring;

/// <summary>A change of an alert's state: fired, escalated, downgraded or resolved.</summary>
public sealed record AlertEvent(string Name, HealthLevel From, HealthLevel To, double Value, double Threshold, string Unit, string? Subject, DateTimeOffset At, string Instance)
{
    /// <summary>fired, escalated, downgraded or resolved.</summary>
    public string Kind => To == HealthLevel.Healthy ? "resolved" : From == HealthLevel.Healthy ? "fired" : To > From ? "escalated" : "downgraded";
}
