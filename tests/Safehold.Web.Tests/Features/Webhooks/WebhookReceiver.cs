using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Safehold.Web.Tests.Features.Webhooks;

/// <summary>A real HTTP server on loopback that records what it receives and answers with the statuses it is told.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<(Dictionary<string, string> Headers, string Body)> Received { get; } = new();
    public ConcurrentQueue<int> Answers { get; } = new(); // then 200
    public string Url { get; }

    private WebhookReceiver(WebApplication app, string url) => (_app, Url) = (app, url);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? self = null;
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            // Copied: the request's own header collection is reused once the request ends.
            var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            self!.Received.Enqueue((headers, await reader.ReadToEndAsync()));
            return Results.StatusCode(self.Answers.TryDequeue(out var status) ? status : 200);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return self = new WebhookReceiver(app, address + "/hook");
    }

    public List<JsonNode> Bodies => Received.Select(r => JsonNode.Parse(r.Body)!).ToList();

    /// <summary>
    /// Whether <paramref name="signature"/> (<c>Safehold-Signature</c>) carries, among its <c>v1=</c> values (two while a
    /// rolled secret overlaps), the HMAC-SHA256 of <c>{t}.{body}</c> under <paramref name="secret"/>, compared in constant
    /// time, as a receiver checks it.
    /// </summary>
    public static bool SignedWith(string secret, string signature, string body)
    {
        var parts = signature.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToList();
        if (parts.FirstOrDefault(p => p[0] == "t") is not [_, var t]) return false;
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return parts.Where(p => p[0] == "v1").Any(p => p[1].Length == expected.Length * 2 && p[1].All(Uri.IsHexDigit)
            && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(p[1]), expected));
    }

    /// <summary>The <c>v1=</c> signatures of a <c>Safehold-Signature</c> header, in order.</summary>
    public static IReadOnlyList<string> Signatures(string signature) =>
        signature.Split(',').Where(p => p.StartsWith("v1=", StringComparison.Ordinal)).Select(p => p["v1=".Length..]).ToList();

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
