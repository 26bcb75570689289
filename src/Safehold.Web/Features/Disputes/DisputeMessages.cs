using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;

using Safehold.Web.Features.Notifications;

namespace Safehold.Web.Features.Disputes;

public sealed record DisputeMessageListResponse(IReadOnlyList<DisputeMessageResponse> Items, string? NextCursor);

/// <summary>A dispute's message thread: buyer and seller, and an arbiter once it has been escalated. Oldest first.</summary>
public sealed class DisputeMessages(SafeholdDb db, Notifier notifier, TimeProvider clock)
{
    public sealed record SendInput([property: StringLength(5000)] string? Body);

    /// <summary>Who may write: the buyer and the seller while the dispute is open; an arbiter once it went to the platform.</summary>
    public static bool MaySend(Dispute d, DisputeActor actor) =>
        d.IsOpen && (actor.Party is DisputeParty.Buyer or DisputeParty.Seller || actor.Party == DisputeParty.Arbiter && d.EscalatedAt is not null);

    public async Task<DisputeMessageListResponse> ListAsync(Caller caller, Guid disputeId, string? cursor, int? limit, CancellationToken ct)
    {
        Cursor.Limit(limit);
        Cursor.Decode(cursor); // bad paging input is refused before anything is looked up
        var dispute = await DisputeAccess.LoadVisibleAsync(db, disputeId, caller, ct);
        var page = await db.DisputeMessages.AsNoTracking().Where(m => m.DisputeId == dispute.Id)
            .PageAsync(m => m.SentAt, m => m.Id, newestFirst: false, cursor, limit, ct);
        return new DisputeMessageListResponse(page.Items.Select(DisputeResponse.MessageOf).ToList(), page.NextCursor);
    }

    public async Task<DisputeMessageResponse> SendAsync(Caller caller, Guid disputeId, SendInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var body = errors.Text("body", input.Body, Limits.Length<SendInput>(nameof(SendInput.Body)));
        errors.ThrowIfAny();

        var dispute = await DisputeAccess.LoadVisibleAsync(db, disputeId, caller, ct);
        var actor = DisputeAccess.ActorOf(dispute, caller);
        if (actor.Party is not (DisputeParty.Buyer or DisputeParty.Seller or DisputeParty.Arbiter))
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed", "Only the buyer, the seller and the arbiter write in a dispute's thread.");
        if (!MaySend(dispute, actor))
            throw DomainException.InvalidState(dispute.IsOpen
                ? "An arbiter joins the thread once the dispute has been escalated."
                : $"The dispute is {DisputeProcess.StatusName(dispute.Status)}; its thread is closed.");
        var now = clock.GetUtcNow();
        var message = new DisputeMessage(Guid.CreateVersion7(now), dispute.Id, caller.Id, actor.Party, body!, now);
        db.DisputeMessages.Add(message);
        foreach (var to in new[] { dispute.BuyerId, dispute.SellerId }.Where(u => u != caller.Id))
            await notifier.AddAsync(to, dispute.OrderId, "dispute_message", new NoticeValues().Id("disputeId", dispute.Id)
                .Text("orderNumber", Orders.OrderNumber.Of(dispute.OrderId)).Text("message", body!.Length > 500 ? body[..500] + "…" : body), now, ct);
        await db.SaveChangesAsync(ct);
        return DisputeResponse.MessageOf(message);
    }
}
