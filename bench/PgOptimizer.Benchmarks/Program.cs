using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(PgOptimizer.Benchmarks.PointReadBenchmarks).Assembly).Run(args);
