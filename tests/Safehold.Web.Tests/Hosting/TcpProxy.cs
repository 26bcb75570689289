using System.Net;
using System.Net.Sockets;

namespace Safehold.Web.Tests.Hosting;

/// <summary>
/// A TCP forwarder between a host and its database that a test can cut, as a network failure or a database
/// crash would: <see cref="Cut"/> drops every open connection and refuses new ones until <see cref="Restore"/>.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly Lock _gate = new();
    private readonly List<Socket> _open = [];
    private TcpListener? _listener;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    public int Port { get; }

    /// <summary>Accepts connections again and forwards them to the target.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            if (_listener is not null) return;
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _ = AcceptLoop(listener);
        }
    }

    /// <summary>Closes every forwarded connection at once and refuses new ones.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var socket in _open)
            {
                try
                {
                    socket.Close(0); // linger 0: a reset, like a dead peer
                }
                catch (ObjectDisposedException)
                {
                }
            }
            _open.Clear();
        }
    }

    private async Task AcceptLoop(TcpListener listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // cut
            }
            _ = Forward(client);
        }
    }

    private async Task Forward(Socket client)
    {
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort);
        }
        catch (SocketException)
        {
            client.Close(0);
            server.Dispose();
            return;
        }
        lock (_gate)
        {
            if (_listener is null)
            {
                client.Close(0);
                server.Close(0);
                return;
            }
            _open.Add(client);
            _open.Add(server);
        }
        await Task.WhenAny(Pump(client, server), Pump(server, client));
        lock (_gate)
        {
            _open.Remove(client);
            _open.Remove(server);
        }
        client.Dispose();
        server.Dispose();
    }

    private static async Task Pump(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose() => Cut();
}
