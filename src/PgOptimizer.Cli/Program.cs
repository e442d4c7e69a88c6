using PgOptimizer.Cli;

return await PgoptApp.RunAsync(args).ConfigureAwait(false);
