using System.Globalization;
using System.Text.Json.Serialization;
using Npgsql;
using PgOptimizer.Workload;

namespace PgOptimizer.Indexing;

[JsonConverter(typeof(JsonStringEnumConverter<QueryVerdict>))]
public enum QueryVerdict
{
    Helped,
    AlreadyIndexed,
    NoUsefulIndex,
    Unsupported,
}
