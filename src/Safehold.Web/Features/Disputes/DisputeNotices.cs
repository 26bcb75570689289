using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Notifications;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// Tells the people of a dispute what its last step asks of them. Who is told, and which notice, is the step's row of
/// <see cref="DisputeProcess.Table"/> (<see cref="DisputeTransition.Notice"/>); here is only its wording. Also reminds the
/// seller before an answer or a return confirmation is due. Written to the inbox (and email outbox) in the step's transaction.
/// </summary>
public sealed class DisputeNotices(SafeholdDb db, Notifier notifier)
{
    /// <summary>After a step: the parties its row tells, never the one who acted.</summary>
    public async Task StepAsync(Dispute d, Guid? actorUserId, DateTimeOffset at, CancellationToken ct)
    {
        if (d.LastTransition?.Notice is not { Tell: not DisputeParty.None } notice) return;
        var title = await TitleAsync(d, ct);
        var deadlines = d.PendingDeadlines();
        string By(string deadline) => deadlines.TryGetValue(deadline, out var due) ? When(due) : "the deadline";
        foreach (var (party, user) in new[] { (DisputeParty.Buyer, d.BuyerId), (DisputeParty.Seller, d.SellerId) })
        {
            if ((notice.Tell & party) == 0 || user == actorUserId) continue;
            var (subject, body) = Wording(d, notice.Kind, party, title, By);
            await notifier.AddAsync(user, d.OrderId, notice.Kind, subject, body, at, ct);
        }
    }

    /// <summary>The subject and body of a notice of <paramref name="kind"/> to <paramref name="reader"/>.</summary>
    private static (string Subject, string Body) Wording(Dispute d, string kind, DisputeParty reader, string title, Func<string, string> by)
    {
        var yours = reader == DisputeParty.Buyer ? "Your dispute" : "The dispute";
        return kind switch
        {
            "dispute_opened" => ($"A dispute was opened on \"{title}\"",
                $"The buyer of order {d.OrderId} opened a dispute ({DisputeProcess.Name(d.Reason)}). Accept, make an offer or reject it by {by("sellerResponseBy")}; if you do not answer, the buyer's request is carried out."),
            "dispute_answered" => ($"The seller answered your dispute about \"{title}\"",
                $"The seller {(d.RejectionReason is null ? "made an offer" : "rejected your request")}. Accept the offer or escalate to the platform by {by("buyerResponseBy")}; if you do not answer, it is escalated."),
            "dispute_return_requested" => ($"Send \"{title}\" back",
                $"Ship the item back with a carrier and tracking number by {by("returnShipBy")}; you are refunded in full once the seller has it. If it is not shipped in time, the money goes to the seller."),
            "dispute_return_shipped" => ($"\"{title}\" is on its way back to you",
                $"The buyer shipped the item back ({d.ReturnCarrier} {d.ReturnTrackingNumber}). Confirm it arrived by {by("returnReceiptBy")}; if you do not, the buyer is refunded in full."),
            "dispute_escalated" => ($"{yours} about \"{title}\" was escalated to the platform", $"An arbiter of the platform will decide dispute {d.Id}."),
            "dispute_appealed" => ($"{yours} about \"{title}\" was appealed", $"An arbiter of the platform will decide dispute {d.Id}."),
            "dispute_resolved" => ($"The dispute about \"{title}\" is resolved", d.SettledAt is null
                ? $"An arbiter decided dispute {d.Id}: {(d.Outcome is { } o ? DisputeProcess.Name(o) : "decided")}. Either party may appeal once by {by("appealBy")}."
                : $"Dispute {d.Id} is resolved: {(d.Outcome is { } settled ? DisputeProcess.Name(settled) : "decided")}."),
            "chargeback_opened" => (reader == DisputeParty.Buyer ? $"Your bank disputed the payment for \"{title}\"" : $"A chargeback was opened on \"{title}\"",
                reader == DisputeParty.Buyer
                    ? $"Your card's bank reported a chargeback on order {d.OrderId}; the card network decides it. Any dispute you had open on the order is closed."
                    : $"The buyer's bank reversed the payment for order {d.OrderId} ({d.Description}). The money is held until the card network decides; the platform answers with the order's evidence pack by {by("respondBy")}."),
            "chargeback_decided" => ($"The chargeback on \"{title}\" was decided", d.Outcome == DisputeOutcome.ReleasedToSeller
                ? $"The card network decided chargeback {d.Id} for the seller: the money is back where it was and the order continues."
                : $"The card network decided chargeback {d.Id} for the buyer: the money has gone back to the buyer's card and the order is closed."),
            "dispute_superseded" => ($"{yours} about \"{title}\" was closed", $"A chargeback on order {d.OrderId} took over from dispute {d.Id}; the card network decides it now."),
            "dispute_withdrawn" => ($"The dispute about \"{title}\" was withdrawn", $"The buyer withdrew dispute {d.Id}; the order continues where it was."),
            _ => throw new InvalidOperationException($"No wording for the dispute notice {kind}."),
        };
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

    private Dictionary<Guid, string>? _titles;

    /// <summary>Reads the titles of many disputes' orders in one query (the sweeper's batches), instead of one query a notice.</summary>
    public async Task ReadTitlesAsync(IReadOnlyCollection<Guid> orderIds, CancellationToken ct)
    {
        var lines = await db.Set<OrderLine>().Where(l => orderIds.Contains(l.OrderId)).Select(l => new { l.OrderId, l.LineNumber, l.Title }).ToListAsync(ct);
        _titles = lines.GroupBy(l => l.OrderId).ToDictionary(g => g.Key, g => g.MinBy(l => l.LineNumber)!.Title);
    }

    private async Task<string> TitleAsync(Dispute d, CancellationToken ct) =>
        _titles?.GetValueOrDefault(d.OrderId)
        ?? await db.Set<OrderLine>().Where(l => l.OrderId == d.OrderId).OrderBy(l => l.LineNumber).Select(l => l.Title).FirstOrDefaultAsync(ct) ?? "your order";

    private static string When(DateTimeOffset at) => at.ToString("d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
