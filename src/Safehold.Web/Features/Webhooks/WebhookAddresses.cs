using System.Net;
using System.Net.Sockets;

namespace Safehold.Web.Features.Webhooks;

/// <summary>
/// Which addresses a webhook may be delivered to: not loopback, link-local, private, shared (CGNAT), unspecified or
/// multicast ones, in IPv4 or IPv6 (an IPv4-mapped or NAT64 IPv6 address is judged as the IPv4 address inside it), so that a
/// webhook cannot be aimed at the host itself, a cloud metadata service or the internal network. Checked when an endpoint
/// is registered and again at every connection, on the addresses actually connected to (DNS can change in between).
/// </summary>
public static class WebhookAddresses
{
    public const string RefusalCode = "webhook_url_not_allowed";

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return IsPublic(address.MapToIPv4());
        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !(b[0] is 0 or 10 or 127 or >= 224 // this network, private, loopback, multicast and reserved
                || (b[0] == 100 && b[1] is >= 64 and < 128) // shared address space (CGNAT)
                || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
                || (b[0] == 172 && b[1] is >= 16 and < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0) // IETF protocol assignments
                || (b[0] == 198 && b[1] is 18 or 19)); // benchmarking
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        if (address.Equals(IPAddress.IPv6Loopback) || address.Equals(IPAddress.IPv6Any)) return false;
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast) return false;
        if ((b[0] & 0xFE) == 0xFC) return false; // unique local fc00::/7
        // NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) addresses carry an IPv4 address in their last four bytes.
        var nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].All(x => x == 0);
        var compatible = b[..12].All(x => x == 0);
        if (nat64 || compatible) return IsPublic(new IPAddress(b[12..]));
        return true;
    }

    /// <summary>
    /// The host's addresses, when every one is allowed; else throws <see cref="NotAllowedException"/> naming the first that
    /// is not. A host that does not resolve throws <see cref="SocketException"/>.
    /// </summary>
    public static async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        if (Array.Find(addresses, a => !IsPublic(a)) is { } refused)
            throw new NotAllowedException($"{host} resolves to {refused}, a loopback, link-local or private address; webhooks are delivered only to public addresses.");
        return addresses;
    }

    /// <summary>A connection the dispatcher opens itself, to an address checked just before, never to one resolved again.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = allowPrivate
            ? IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct)
            : await ResolveAllowedAsync(host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public sealed class NotAllowedException(string message) : Exception(message);
}
