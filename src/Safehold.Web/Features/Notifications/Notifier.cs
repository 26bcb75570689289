using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Features.Notifications;

/// <summary>Writes notifications into users' inboxes (and the email outbox when SMTP is configured), in the caller's transaction.</summary>
public sealed class Notifier(SafeholdDb db, IOptions<SmtpOptions> smtp)
{
    public async Task RemindAsync(Order order, Party who, DateTimeOffset now, CancellationToken ct)
    {
        var userId = who == Party.Buyer ? order.BuyerId : order.SellerId;
        // The sweeper loads orders without their lines; the title is then read on its own.
        var title = order.Lines.FirstOrDefault()?.Title
            ?? await db.Set<OrderLine>().Where(l => l.OrderId == order.Id).OrderBy(l => l.LineNumber).Select(l => l.Title).FirstOrDefaultAsync(ct);
        var values = new NoticeValues().Text("title", title).Text("orderNumber", OrderNumber.Of(order.Id));
        var kind = who == Party.Buyer ? "protection_ending" : "ship_by_reminder";
        if (who == Party.Buyer) values.At("protectionEndsAt", order.ProtectionEndsAt);
        else values.At("shipBy", order.ShipBy);
        await AddAsync(userId, order.Id, kind, values, now, ct);
    }

    /// <summary>Adds a notice of <paramref name="kind"/> (one of <see cref="NotificationText.Kinds"/>) with its values.</summary>
    public async Task AddAsync(Guid userId, Guid? orderId, string kind, NoticeValues values, DateTimeOffset now, CancellationToken ct)
    {
        string? emailTo = null;
        if (smtp.Value.Enabled)
            emailTo = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(ct);
        db.Notifications.Add(new Notification(Guid.CreateVersion7(now), userId, orderId, kind, values, now, emailTo));
    }
}

/// <summary><c>Safehold:Smtp</c>: where notification emails go. Email is off while <see cref="Host"/> is empty.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public bool UseTls { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "Safehold <no-reply@safehold.local>";
    public double PollSeconds { get; set; } = 5;

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}
