using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Orders;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Notifications;

/// <summary>Writes notifications into users' inboxes (and the email outbox when SMTP is configured), in the caller's transaction.</summary>
public sealed class Notifier(SafeholdDb db, IOptions<SmtpOptions> smtp)
{
    public async Task RemindAsync(Order order, Party who, DateTimeOffset now, CancellationToken ct)
    {
        var userId = who == Party.Buyer ? order.BuyerId : order.SellerId;
        // The sweeper loads orders without their lines; the title is then read on its own.
        var title = order.Lines.FirstOrDefault()?.Title
            ?? await db.Set<OrderLine>().Where(l => l.OrderId == order.Id).OrderBy(l => l.LineNumber).Select(l => l.Title).FirstOrDefaultAsync(ct)
            ?? "your order";
        var (kind, subject, body) = who == Party.Buyer
            ? ("protection_ending",
                $"Buyer protection for \"{title}\" ends in {order.BuyerReminderDays} days",
                $"Protection for your order {order.Id} ends on {When(order.ProtectionEndsAt)}. If it has not arrived, or is not as described, open a dispute or ask for more protection time before then; otherwise the seller is paid.")
            : ("ship_by_reminder",
                $"Ship \"{title}\" by {When(order.ShipBy)}",
                $"Order {order.Id} must be shipped with a carrier and tracking number by {When(order.ShipBy)}. If it is not, it is cancelled and the buyer refunded in full.");
        await AddAsync(userId, order.Id, kind, subject, body, now, ct);
    }

    public async Task AddAsync(Guid userId, Guid? orderId, string kind, string subject, string body, DateTimeOffset now, CancellationToken ct)
    {
        string? emailTo = null;
        if (smtp.Value.Enabled)
            emailTo = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(ct);
        db.Notifications.Add(new Notification(Guid.CreateVersion7(now), userId, orderId, kind, subject, body, now, emailTo));
    }

    private static string When(DateTimeOffset? at) =>
        at?.ToString("d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture) ?? "the deadline";
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
