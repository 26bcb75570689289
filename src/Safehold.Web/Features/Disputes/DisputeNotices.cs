using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Process;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Notifications;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// Tells the people of a dispute what its last step asks of them. Who is told, and which notice, is the step's row of
/// <see cref="DisputeProcess.Table"/> (<see cref="DisputeTransition.Notice"/>); here are only the values it is written from. Also reminds the
/// seller before an answer or a return confirmation is due. Written to the inbox (and email outbox) in the step's transaction.
/// </summary>
public sealed class DisputeNotices(SafeholdDb db, Notifier notifier)
{
    /// <summary>After a step: the parties its row tells, never the one who acted.</summary>
    public async Task StepAsync(Dispute d, Guid? actorUserId, DateTimeOffset at, CancellationToken ct)
    {
        if (d.LastTransition?.Notice is not { Tell: not DisputeParty.None } notice) return;
        var title = await TitleAsync(d, ct);
        foreach (var (party, user) in new[] { (DisputeParty.Buyer, d.BuyerId), (DisputeParty.Seller, d.SellerId) })
        {
            if ((notice.Tell & party) == 0 || user == actorUserId) continue;
            await notifier.AddAsync(user, d.OrderId, notice.Kind, Values(d, notice.Kind, party, title), at, ct);
        }
    }

    /// <summary>What a notice of <paramref name="kind"/> to <paramref name="reader"/> is written from (<see cref="NotificationText"/> has its words).</summary>
    private static NoticeValues Values(Dispute d, string kind, DisputeParty reader, string? title)
    {
        var deadlines = d.PendingDeadlines();
        var values = new NoticeValues().Text("title", title).Text("orderNumber", Orders.OrderNumber.Of(d.OrderId)).Id("disputeId", d.Id)
            .Text("reader", ProcessNames.Of(reader));
        foreach (var (name, due) in deadlines) values.At(name, due);
        switch (kind)
        {
            case "dispute_opened":
                values.Text("reason", DisputeProcess.Name(d.Reason)).Text("requestedOutcome", DisputeProcess.Name(d.RequestedOutcome))
                    .Money("requestedAmount", d.RequestedAmount, d.Currency);
                break;
            case "dispute_answered":
                values.Text("answer", d.RejectionReason is null ? "offer" : "rejected");
                if (d.RejectionReason is null && d.LatestOffer is { } offer)
                    values.Text("offerOutcome", DisputeProcess.Name(offer.Outcome)).Money("offerAmount", offer.Amount, d.Currency);
                break;
            case "dispute_return_shipped" or "dispute_return_delivered":
                values.Text("carrier", d.ReturnCarrier).Text("trackingNumber", d.ReturnTrackingNumber);
                break;
            case "dispute_resolved":
                values.Text("settled", d.SettledAt is null ? "no" : "yes");
                if (d.Outcome is { } outcome)
                    values.Text("outcome", DisputeProcess.Name(outcome))
                        .Money("refundAmount", outcome == DisputeOutcome.ReleasedToSeller ? null : d.RefundAmount, d.Currency);
                break;
            case "chargeback_decided":
                values.Text("outcome", d.Outcome is { } decided ? DisputeProcess.Name(decided) : null);
                break;
            case "dispute_escalated" or "dispute_appealed" or "dispute_return_requested" or "dispute_withdrawn" or "chargeback_opened"
                or "dispute_superseded":
                break;
            default:
                throw new InvalidOperationException($"No values for the dispute notice {kind}.");
        }
        return values;
    }

    /// <summary>A reminder timer fired: the seller has a day left to answer, or to confirm the returned item.</summary>
    public async Task RemindAsync(Dispute d, DisputeTimerKind kind, DateTimeOffset at, CancellationToken ct)
    {
        var title = await TitleAsync(d, ct);
        var deadlines = d.PendingDeadlines();
        var values = new NoticeValues().Text("title", title).Text("orderNumber", Orders.OrderNumber.Of(d.OrderId)).Id("disputeId", d.Id);
        if (kind == DisputeTimerKind.SellerResponseReminder && deadlines.TryGetValue("sellerResponseBy", out var answerBy))
            await notifier.AddAsync(d.SellerId, d.OrderId, "dispute_response_reminder", values.At("sellerResponseBy", answerBy), at, ct);
        else if (kind == DisputeTimerKind.ReturnReceiptReminder && deadlines.TryGetValue("returnReceiptBy", out var confirmBy))
            await notifier.AddAsync(d.SellerId, d.OrderId, "dispute_return_reminder", values.At("returnReceiptBy", confirmBy), at, ct);
    }

    private Dictionary<Guid, string>? _titles;

    /// <summary>Reads the titles of many disputes' orders in one query (the sweeper's batches), instead of one query a notice.</summary>
    public async Task ReadTitlesAsync(IReadOnlyCollection<Guid> orderIds, CancellationToken ct)
    {
        var lines = await db.Set<OrderLine>().Where(l => orderIds.Contains(l.OrderId)).Select(l => new { l.OrderId, l.LineNumber, l.Title }).ToListAsync(ct);
        _titles = lines.GroupBy(l => l.OrderId).ToDictionary(g => g.Key, g => g.MinBy(l => l.LineNumber)!.Title);
    }

    private async Task<string?> TitleAsync(Dispute d, CancellationToken ct) =>
        _titles?.GetValueOrDefault(d.OrderId)
        ?? await db.Set<OrderLine>().Where(l => l.OrderId == d.OrderId).OrderBy(l => l.LineNumber).Select(l => l.Title).FirstOrDefaultAsync(ct);
}
