using Npgsql;
using PgOptimizer.Connections;
using PgOptimizer.Workload;

namespace PgOptimizer.LoadTesting;

/// <summary>
/// Runs operations on plain Npgsql, the baseline: one data source, or with replicas Npgsql's own
/// multi-host data source with load balancing, writes on the primary and reads preferring standbys
/// (what a competent Npgsql user would configure for the same servers).
/// </summary>
/// <param name="dataSource">Where writes (and, without <paramref name="readSource"/>, reads) go.</param>
/// <param name="readSource">Where reads go; null for <paramref name="dataSource"/>.</param>
public sealed class RawNpgsqlExecutor(NpgsqlDataSource dataSource, NpgsqlDataSource? readSource = null) : IOperationExecutor
{
    /// <inheritdoc />
    public string Name => "raw-npgsql";

    /// <summary>
    /// The baseline's connection string: the primary's, with the manager's pool size, automatic
    /// preparation (none on a transaction-mode pooler) and reset on return (none when the manager's
    /// calls skip it), and nothing else of the toolkit's.
    /// </summary>
    public static string ConnectionStringLike(PgConnectionManager connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        var b = SingleHostLike(connections);
        if (connections.Replicas.Count > 0)
        {
            // One host list, as Npgsql multi-host takes it; each host gets a pool of this size.
            var endpoints = connections.Endpoints.ToList();
            b.Host = string.Join(',', endpoints.Select(e => $"{e.Settings.Host}:{e.Settings.Port}"));
            b.LoadBalanceHosts = true;
            b.TargetSessionAttributes = null;
        }

        return b.ConnectionString;
    }

    /// <summary>What the baseline runs on, for reports.</summary>
    public static string Describe(PgConnectionManager connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        return connections.Replicas.Count == 0
            ? $"Npgsql data source on the primary, pool {connections.Primary.MaxPoolSize}"
            : $"Npgsql multi-host on the primary and {connections.Replicas.Count} replica(s), load balancing on, reads prefer standby, pool {connections.Primary.MaxPoolSize} per host";
    }

    /// <summary>An executor on the baseline data source: multi-host (writes on the primary, reads preferring standbys) when there are replicas.</summary>
    public static RawNpgsqlExecutor Create(NpgsqlDataSource source) =>
        source is NpgsqlMultiHostDataSource multi
            ? new RawNpgsqlExecutor(multi.WithTargetSession(TargetSessionAttributes.Primary), multi.WithTargetSession(TargetSessionAttributes.PreferStandby))
            : new RawNpgsqlExecutor(source);

    /// <summary>Builds the baseline's data source (multi-host with replicas).</summary>
    public static NpgsqlDataSource BuildDataSource(PgConnectionManager connections)
    {
        var builder = new NpgsqlDataSourceBuilder(ConnectionStringLike(connections));
        return connections.Replicas.Count > 0 ? builder.BuildMultiHost() : builder.Build();
    }

    private static NpgsqlConnectionStringBuilder SingleHostLike(PgConnectionManager connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        var b = ConnectionStringParser.Parse(connections.Options.ConnectionString!, "connection string");
        b.MaxPoolSize = connections.Primary.MaxPoolSize;
        b.MaxAutoPrepare = connections.Primary.Host.IsPooler ? 0 : connections.Options.MaxAutoPrepare;
        b.NoResetOnClose = connections.Primary.CallsSkipReset; // the toolkit's calls are not reset on return either
        b.ApplicationName = "pgopt-raw";
        return b;
    }

    /// <inheritdoc />
    public async ValueTask<int> ExecuteAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var conn = await (operation.Intent == DbIntent.Read ? readSource ?? dataSource : dataSource).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await OperationCommand.RunAsync(conn, operation, parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<QueryResult> QueryAsync(WorkloadOperation operation, object?[] parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var conn = await (readSource ?? dataSource).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await OperationCommand.QueryAsync(conn, operation, parameters, cancellationToken).ConfigureAwait(false);
    }
}
