using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Notifications;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// Tells the people of a dispute what its last step asks of them (the seller to answer, the buyer to answer an offer
/// or ship the item back, ...), and reminds the seller a day before an answer or a return confirmation is due.
/// Written to the inbox (and email outbox) in the step's transaction.
/// </summary>
public sealed class DisputeNotices(SafeholdDb db, Notifier notifier)
{
    /// <summary>After a step: whoever must act now, or both parties when it was escalated or resolved; never the one who acted.</summary>
    public async Task StepAsync(Dispute d, Guid? actorUserId, DateTimeOffset at, CancellationToken ct)
    {
        var title = await TitleAsync(d, ct);
        var deadlines = d.PendingDeadlines();
        string By(string deadline) => deadlines.TryGetValue(deadline, out var due) ? When(due) : "the deadline";
        var notes = new List<(Guid User, string Kind, string Subject, string Body)>();
        switch (d.Status)
        {
            case DisputeStatus.AwaitingSellerResponse:
                notes.Add((d.SellerId, "dispute_opened", $"A dispute was opened on \"{title}\"",
                    $"The buyer of order {d.OrderId} opened a dispute ({DisputeProcess.Name(d.Reason)}). Accept, make an offer or reject it by {By("sellerResponseBy")}; if you do not answer, the buyer's request is carried out."));
                break;
            case DisputeStatus.AwaitingBuyerResponse:
                notes.Add((d.BuyerId, "dispute_answered", $"The seller answered your dispute about \"{title}\"",
                    $"The seller {(d.RejectionReason is null ? "made an offer" : "rejected your request")}. Accept the offer or escalate to the platform by {By("buyerResponseBy")}; if you do not answer, it is escalated."));
                break;
            case DisputeStatus.AwaitingReturnShipment:
                notes.Add((d.BuyerId, "dispute_return_requested", $"Send \"{title}\" back",
                    $"Ship the item back with a carrier and tracking number by {By("returnShipBy")}; you are refunded in full once the seller has it. If it is not shipped in time, the money goes to the seller."));
                break;
            case DisputeStatus.AwaitingReturnReceipt:
                notes.Add((d.SellerId, "dispute_return_shipped", $"\"{title}\" is on its way back to you",
                    $"The buyer shipped the item back ({d.ReturnCarrier} {d.ReturnTrackingNumber}). Confirm it arrived by {By("returnReceiptBy")}; if you do not, the buyer is refunded in full."));
                break;
            case DisputeStatus.UnderReview:
                var (kind, what) = d.AppealedAt is null ? ("dispute_escalated", "was escalated to the platform") : ("dispute_appealed", "was appealed");
                notes.Add((d.BuyerId, kind, $"Your dispute about \"{title}\" {what}", $"An arbiter of the platform will decide dispute {d.Id}."));
                notes.Add((d.SellerId, kind, $"The dispute about \"{title}\" {what}", $"An arbiter of the platform will decide dispute {d.Id}."));
                break;
            case DisputeStatus.Resolved:
                var outcome = d.Outcome is { } o ? DisputeProcess.Name(o) : "decided";
                var body = d.SettledAt is null
                    ? $"An arbiter decided dispute {d.Id}: {outcome}. Either party may appeal once by {By("appealBy")}."
                    : $"Dispute {d.Id} is resolved: {outcome}.";
                notes.Add((d.BuyerId, "dispute_resolved", $"The dispute about \"{title}\" is resolved", body));
                notes.Add((d.SellerId, "dispute_resolved", $"The dispute about \"{title}\" is resolved", body));
                break;
            case DisputeStatus.Withdrawn:
                notes.Add((d.SellerId, "dispute_withdrawn", $"The dispute about \"{title}\" was withdrawn", $"The buyer withdrew dispute {d.Id}; the order continues where it was."));
                break;
        }
        foreach (var (user, kind, subject, body) in notes.Where(n => n.User != actorUserId))
            await notifier.AddAsync(user, d.OrderId, kind, subject, body, at, ct);
    }

    /// <summary>A reminder timer fired: the seller has a day left to answer, or to confirm the returned item.</summary>
    public async Task RemindAsync(Dispute d, DisputeTimerKind kind, DateTimeOffset at, CancellationToken ct)
    {
        var title = await TitleAsync(d, ct);
        var deadlines = d.PendingDeadlines();
        if (kind == DisputeTimerKind.SellerResponseReminder && deadlines.TryGetValue("sellerResponseBy", out var answerBy))
            await notifier.AddAsync(d.SellerId, d.OrderId, "dispute_response_reminder", $"Answer the dispute about \"{title}\" by {When(answerBy)}",
                $"Dispute {d.Id} waits for your answer: accept, make an offer or reject it by {When(answerBy)}. If you do not answer, the buyer's request is carried out.", at, ct);
        else if (kind == DisputeTimerKind.ReturnReceiptReminder && deadlines.TryGetValue("returnReceiptBy", out var confirmBy))
            await notifier.AddAsync(d.SellerId, d.OrderId, "dispute_return_reminder", $"Confirm the return of \"{title}\" by {When(confirmBy)}",
                $"The buyer shipped the item of dispute {d.Id} back. Confirm it arrived by {When(confirmBy)}; if you do not, the buyer is refunded in full.", at, ct);
    }

    private async Task<string> TitleAsync(Dispute d, CancellationToken ct) =>
        await db.Set<OrderLine>().Where(l => l.OrderId == d.OrderId).OrderBy(l => l.LineNumber).Select(l => l.Title).FirstOrDefaultAsync(ct) ?? "your order";

    private static string When(DateTimeOffset at) => at.ToString("d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
