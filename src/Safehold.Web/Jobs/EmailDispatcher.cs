using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using Safehold.Web.Data;
using Microsoft.Extensions.Localization;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Features.Portal;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Jobs;

/// <summary>
/// Sends the email outbox: notifications written with a pending email. Each is claimed (a short lease,
/// so two hosts do not send it at once), sent over SMTP, then marked sent; failures retry with back-off.
/// Delivery is at least once: a crash between sending and marking can send a message twice.
/// </summary>
/// <remarks>Each email is written when it is sent, in its recipient's stored language and time zone (English and UTC until they choose).</remarks>
public sealed class EmailDispatcher(IServiceScopeFactory scopes, TimeProvider clock, IOptions<SmtpOptions> options, IStringLocalizer<PortalText> l,
    ILogger<EmailDispatcher> log)
{
    public async Task<int> SendPendingAsync(CancellationToken ct)
    {
        var smtp = options.Value;
        if (!smtp.Enabled) return 0;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var now = clock.GetUtcNow();
        var due = await db.Notifications
            .Where(n => n.EmailStatus == EmailStatus.Pending && (n.EmailNextAttemptAt == null || n.EmailNextAttemptAt <= now))
            .OrderBy(n => n.CreatedAt).Take(50).Select(n => n.Id).ToListAsync(ct);
        if (due.Count == 0) return 0;

        var sent = 0;
        using var client = new SmtpClient();
        foreach (var id in due)
        {
            var lease = now.AddMinutes(2);
            var claimed = await db.Notifications
                .Where(n => n.Id == id && n.EmailStatus == EmailStatus.Pending && (n.EmailNextAttemptAt == null || n.EmailNextAttemptAt <= now))
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.EmailNextAttemptAt, lease), ct);
            if (claimed == 0) continue;
            var notification = await db.Notifications.FirstAsync(n => n.Id == id, ct);
            try
            {
                if (!client.IsConnected)
                {
                    await client.ConnectAsync(smtp.Host!, smtp.Port, smtp.UseTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, ct);
                    if (!string.IsNullOrEmpty(smtp.Username)) await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", ct);
                }
                var reader = await db.Users.AsNoTracking().Where(u => u.Id == notification.UserId).Select(u => new { u.Language, u.TimeZone }).FirstOrDefaultAsync(ct);
                var culture = reader?.Language is { } lang && Preferences.Languages.TryGetValue(lang, out var c) ? c : PortalSetup.Cultures[0];
                NotificationText.Text text;
                using (Words.For(culture, PortalSetup.ZoneOf(reader?.TimeZone))) text = NotificationText.Write(l, notification, now);
                var message = new MimeMessage();
                message.From.Add(MailboxAddress.Parse(smtp.From));
                message.To.Add(MailboxAddress.Parse(notification.EmailTo!));
                message.Subject = text.Subject;
                message.Body = new TextPart("plain") { Text = text.Body };
                message.Body.Headers.Add(HeaderId.ContentLanguage, notification.Values is null ? "en" : Preferences.LanguageOf(culture));
                await client.SendAsync(message, ct);
                notification.EmailSent();
                sent++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning("Email for notification {Id} failed: {Error}", id, e.Message);
                notification.EmailFailed(e.Message, now);
                if (client.IsConnected) await client.DisconnectAsync(true, CancellationToken.None);
            }
            await db.SaveChangesAsync(ct);
        }
        if (client.IsConnected) await client.DisconnectAsync(true, ct);
        return sent;
    }
}

/// <summary>Runs the email outbox every few seconds while SMTP is configured.</summary>
public sealed class EmailDispatcherService(EmailDispatcher dispatcher, IOptions<SmtpOptions> options, ILogger<EmailDispatcherService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.1, options.Value.PollSeconds)));
        do
        {
            try
            {
                await dispatcher.SendPendingAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "The email dispatcher failed; it will try again");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
