using PgOptimizer.Cli;
using PgOptimizer.Cli.Infrastructure;

// A load test picks its garbage collector before the runtime has done anything else (returns when it does not restart).
LoadTestCollector.RestartIfNeeded(args);
return await PgoptApp.RunAsync(args).ConfigureAwait(false);
