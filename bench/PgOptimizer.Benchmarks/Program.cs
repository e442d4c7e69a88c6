using BenchmarkDotNet.Running;
using PgOptimizer.Benchmarks;

if (args.Length > 0 && args[0] == "throughput")
{
    return await ThroughputComparison.RunAsync(args);
}

if (args.Length > 0 && args[0] == "tracking")
{
    return await TrackingOverhead.RunAsync(args);
}

if (args.Length > 0 && args[0] == "workload")
{
    return await WorkloadComparison.RunAsync(args);
}

if (args.Length > 0 && args[0] == "routing")
{
    return await RoutingComparison.RunAsync(args);
}

if (args.Length > 0 && args[0] == "invalidation")
{
    return await InvalidationLatency.RunAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(PointReadBenchmarks).Assembly).Run(args);
return 0;
