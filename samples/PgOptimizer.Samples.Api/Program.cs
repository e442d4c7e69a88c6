using PgOptimizer.Samples.Api;

var app = PitchApi.Create(args);
await app.RunAsync();
