namespace PgOptimizer.LoadTesting;

/// <summary>A read's result: its row count and the rows as a JSON array of objects.</summary>
public sealed record QueryResult(int Rows, string Json);
