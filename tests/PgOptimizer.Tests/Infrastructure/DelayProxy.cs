using System.Net;
using System.Net.Sockets;

namespace PgOptimizer.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback that delays every chunk the server sends back by a fixed time: a slow
/// network path to a healthy server, one round trip slower per request.
/// </summary>
public sealed class DelayProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public DelayProxy(string targetHost, int targetPort, TimeSpan delay)
    {
        (_targetHost, _targetPort, Delay) = (targetHost, targetPort, delay);
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    /// <summary>The delay added to each chunk from the server; changeable while running.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>The port to connect to instead of the server's.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client, ct), ct);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(_targetHost, _targetPort, ct);
                var up = PumpAsync(client.GetStream(), server.GetStream(), false, ct);
                var down = PumpAsync(server.GetStream(), client.GetStream(), true, ct);
                await Task.WhenAny(up, down);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool delayed, CancellationToken ct)
    {
        var buffer = new byte[16384];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, ct)) > 0)
            {
                if (delayed && Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, ct);
                }

                await to.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
