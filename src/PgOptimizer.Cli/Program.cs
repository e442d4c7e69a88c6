using PgOptimizer.Cli;
using PgOptimizer.Cli.Infrastructure;

// A load test picks its runtime settings before the runtime has done anything else (returns when it does not restart).
LoadTestRuntime.RestartIfNeeded(args);
return await PgoptApp.RunAsync(args).ConfigureAwait(false);
