using System.Net.Http.Json;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Jobs;

namespace Safehold.Web.Tests.Features.Notifications;

/// <summary>The email path against a real SMTP conversation on loopback.</summary>
public sealed class EmailTests
{
    [Fact]
    public async Task A_reminder_reaches_the_inbox_and_is_emailed_over_smtp_once()
    {
        using var smtp = new LoopbackSmtpServer();
        using var app = new SafeholdApp
        {
            Settings = { ["Safehold:Smtp:Host"] = "127.0.0.1", ["Safehold:Smtp:Port"] = smtp.Port.ToString(), ["Safehold:Smtp:From"] = "Safehold <safehold@test.example>" },
        };
        var (buyer, _, _) = await app.OrderIn("awaiting_delivery");
        await app.AdvanceAndSweep(TimeSpan.FromDays(37));
        var inbox = (await Api.Json(await buyer.Http.GetAsync("/api/v1/notifications")))["items"]!.AsArray();
        Assert.Single(inbox);

        var dispatcher = app.Services.GetRequiredService<EmailDispatcher>();
        Assert.Equal(1, await dispatcher.SendPendingAsync(CancellationToken.None));
        Assert.Equal(0, await dispatcher.SendPendingAsync(CancellationToken.None));

        var message = Assert.Single(smtp.Messages);
        Assert.Equal(buyer.Email, message.Recipient);
        Assert.Contains("Subject: Buyer protection for", message.Data);
        Assert.Contains("ends in 3 days", message.Data);
    }

    [Fact]
    public async Task An_email_is_written_when_sent_in_its_recipients_stored_language_and_time_zone()
    {
        using var smtp = new LoopbackSmtpServer();
        using var app = new SafeholdApp { Settings = { ["Safehold:Smtp:Host"] = "127.0.0.1", ["Safehold:Smtp:Port"] = smtp.Port.ToString() } };
        var (buyer, _, _) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectStatus(await buyer.Http.PatchAsJsonAsync("/api/v1/users/me", new { language = "ka", timeZone = "Asia/Tbilisi" }), HttpStatusCode.OK);
        await app.AdvanceAndSweep(TimeSpan.FromDays(37));
        Assert.Equal(1, await app.Services.GetRequiredService<EmailDispatcher>().SendPendingAsync(CancellationToken.None));

        var email = MimeKit.MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Assert.Single(smtp.Messages).Data)));
        Assert.Equal("ka", email.Body!.Headers[MimeKit.HeaderId.ContentLanguage]);
        Assert.StartsWith("მყიდველის დაცვა მთავრდება 3 დღეში: „", email.Subject, StringComparison.Ordinal);
        Assert.Contains("UTC+4)", email.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_smtp_server_notifications_stay_in_the_inbox_only()
    {
        using var app = new SafeholdApp();
        var (_, seller, _) = await app.OrderIn("awaiting_shipment");
        await app.AdvanceAndSweep(TimeSpan.FromDays(6));
        var inbox = (await Api.Json(await seller.Http.GetAsync("/api/v1/notifications")))["items"]!.AsArray();
        Assert.Single(inbox);
        Assert.Equal(0, await app.Services.GetRequiredService<EmailDispatcher>().SendPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_later_rather_than_lost()
    {
        int port;
        using (var closed = new TcpListener(IPAddress.Loopback, 0))
        {
            closed.Start();
            port = ((IPEndPoint)closed.LocalEndpoint).Port;
        }
        using var app = new SafeholdApp { Settings = { ["Safehold:Smtp:Host"] = "127.0.0.1", ["Safehold:Smtp:Port"] = port.ToString() } };
        await app.OrderIn("awaiting_shipment");
        await app.AdvanceAndSweep(TimeSpan.FromDays(6));
        var dispatcher = app.Services.GetRequiredService<EmailDispatcher>();
        Assert.Equal(0, await dispatcher.SendPendingAsync(CancellationToken.None)); // nobody listens

        using var smtp = new LoopbackSmtpServer(port);
        Assert.Equal(0, await dispatcher.SendPendingAsync(CancellationToken.None)); // backing off
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await dispatcher.SendPendingAsync(CancellationToken.None));
        Assert.Single(smtp.Messages);
    }
}

/// <summary>A minimal SMTP server (RFC 5321's happy path) on loopback that keeps what it receives.</summary>
public sealed class LoopbackSmtpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(string Recipient, string Data)> _messages = [];

    public LoopbackSmtpServer(int port = 0)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    public IReadOnlyList<(string Recipient, string Data)> Messages
    {
        get
        {
            lock (_messages) return [.. _messages];
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8); // 8BITMIME: a body may come as UTF-8
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 loopback ESMTP test");
        var recipients = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-loopback");
                    await writer.WriteLineAsync("250 8BITMIME");
                    break;
                case "HELO":
                case "MAIL":
                case "RSET":
                case "NOOP":
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "RCPT":
                    recipients.Add(line[(line.IndexOf('<') + 1)..line.IndexOf('>')]);
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync() is { } d && d != ".") data.AppendLine(d);
                    lock (_messages)
                        foreach (var r in recipients) _messages.Add((r, data.ToString()));
                    recipients.Clear();
                    await writer.WriteLineAsync("250 OK queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 Bye");
                    return;
                default:
                    await writer.WriteLineAsync("502 Command not implemented");
                    break;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
