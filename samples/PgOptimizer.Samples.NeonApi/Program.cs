using System.Globalization;
using PgOptimizer.Samples.NeonApi;

// A local double of Neon's API for trying `pgopt cost` without a Neon account:
//   dotnet run --project samples/PgOptimizer.Samples.NeonApi -- --urls http://127.0.0.1:5099
//   NEON_API_KEY=neon-double-key pgopt cost report --project quiet-river-104857 --neon-api-url http://127.0.0.1:5099/api/v2
var options = new NeonApiDoubleOptions();
for (var i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--key":
            options.ApiKey = args[i + 1];
            break;
        case "--now":
            options.Now = DateTimeOffset.Parse(args[i + 1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            break;
        case "--throttle-first":
            options.ThrottleFirst = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
    }
}

var app = NeonApiDouble.Create(args, options);
await app.RunAsync();
