using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Process;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Chargebacks;

public sealed record EvidencePackCase(Guid DisputeId, string Kind, string Reason, string Status, string Description, MoneyDto Disputed,
    DateTimeOffset OpenedAt, DateTimeOffset? RespondBy, string? ProviderReference, string? Outcome, string? Bearer);
public sealed record EvidencePackOrder(Guid Id, string Number, string Status, MoneyDto Total, MoneyDto Refunded, IReadOnlyList<string> ShippingAddress,
    DateTimeOffset PlacedAt, DateTimeOffset? PaidAt, string? PaymentReference, DateTimeOffset? CompletedAt, DateTimeOffset? ClosedAt);
public sealed record EvidencePackItem(int Quantity, MoneyDto LineTotal, ListingResponse Listing);
public sealed record EvidencePackShipment(string Carrier, string TrackingNumber, DateTimeOffset ShippedAt, DateTimeOffset? DeliveredAt,
    string? DeliveryReportedBy);
public sealed record EvidencePackConfirmation(DateTimeOffset At, string By);
public sealed record EvidencePackMessage(string Thread, string Party, DateTimeOffset SentAt, string Body);
public sealed record EvidencePackFile(Guid DisputeId, string Party, string FileName, string ContentType, long Size, string Sha256, string? Description,
    DateTimeOffset UploadedAt, string Url);
public sealed record EvidencePackDispute(Guid Id, string Kind, string Reason, string Status, string Description, string? Outcome, MoneyDto? RefundAmount,
    DateTimeOffset OpenedAt, IReadOnlyList<TimelineEntry> History);

/// <summary>
/// The evidence pack of a dispute (SPEC 4), for the card network or the arbiter: assembled from Safehold's own records of
/// the order (the listing as bought, shipment and tracking, delivery, the buyer's confirmation), every message of the
/// order and its disputes, the evidence files' list with their hashes, and each dispute's history.
/// </summary>
public sealed record EvidencePackResponse(
    DateTimeOffset GeneratedAt,
    EvidencePackCase Case,
    EvidencePackOrder Order,
    IReadOnlyList<EvidencePackItem> Items,
    EvidencePackShipment? Shipment,
    EvidencePackConfirmation? BuyerConfirmation,
    IReadOnlyList<TimelineEntry> OrderHistory,
    IReadOnlyList<EvidencePackMessage> Messages,
    IReadOnlyList<EvidencePackFile> Evidence,
    IReadOnlyList<EvidencePackDispute> Disputes);

/// <summary><c>GET /api/v1/disputes/{id}/evidence-pack</c>: the pack as JSON, or as a PDF for <c>Accept: application/pdf</c>.</summary>
public sealed class EvidencePack(SafeholdDb db, TimeProvider clock)
{
    /// <summary>
    /// The pack of a dispute the caller may see. Sellers (of their own orders), arbiters and admins read it; a buyer never
    /// does (it is the case against their claim), and anyone else is told it does not exist.
    /// </summary>
    public async Task<EvidencePackResponse> RunAsync(Caller caller, Guid disputeId, CancellationToken ct)
    {
        var dispute = await DisputeAccess.LoadVisibleAsync(db, disputeId, caller, ct);
        if (caller.Role is not (UserRole.Seller or UserRole.Arbiter or UserRole.Admin))
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed", "The evidence pack is for the seller, arbiters and administrators.");
        var order = await db.Orders.AsNoTracking().AsSingleQuery().FirstAsync(o => o.Id == dispute.OrderId, ct);
        var disputes = await db.Disputes.AsNoTracking().AsSplitQuery().Where(d => d.OrderId == order.Id).ToListAsync(ct);
        var disputeIds = disputes.Select(d => d.Id).ToList();
        var evidence = await db.DisputeEvidence.AsNoTracking().Where(e => disputeIds.Contains(e.DisputeId)).ToListAsync(ct);
        var disputeMessages = await db.DisputeMessages.AsNoTracking().Where(m => disputeIds.Contains(m.DisputeId)).ToListAsync(ct);
        var orderMessages = await db.OrderMessages.AsNoTracking().Where(m => m.OrderId == order.Id).ToListAsync(ct);
        return Assemble(dispute, order, disputes, evidence, disputeMessages, orderMessages, clock.GetUtcNow());
    }

    public static EvidencePackResponse Assemble(Dispute dispute, Order order, IReadOnlyList<Dispute> disputes, IReadOnlyList<DisputeEvidence> evidence,
        IReadOnlyList<DisputeMessage> disputeMessages, IReadOnlyList<OrderMessage> orderMessages, DateTimeOffset now)
    {
        var currency = order.Currency;
        MoneyDto M(long amount) => new(amount, currency);
        TimelineEntry Entry(DateTimeOffset at, string actor, Guid? userId, string kind, string? detail) => new(at, actor, userId, kind, detail);
        var delivered = order.Timeline.Where(e => e.Kind == "delivered").MaxBy(e => e.Sequence);
        var confirmed = order.Timeline.Where(e => e.Kind == "receipt_confirmed").MaxBy(e => e.Sequence);
        return new EvidencePackResponse(
            now,
            new EvidencePackCase(dispute.Id, dispute.Kind, DisputeProcess.Name(dispute.Reason), DisputeProcess.StatusName(dispute.Status), dispute.Description,
                M(dispute.ChargebackAmount ?? dispute.RequestedAmount ?? dispute.OrderTotalAmount), dispute.OpenedAt,
                dispute.IsChargeback ? dispute.DecisionDueAt : null, dispute.ChargebackReference,
                dispute.Outcome is { } o ? DisputeProcess.Name(o) : null, dispute.ChargebackBearer is { } b ? ProcessNames.Of(b) : null),
            new EvidencePackOrder(order.Id, OrderNumber.Of(order.Id), OrderProcess.StatusName(order.Status), M(order.TotalAmount), M(order.RefundedAmount),
                ShippingAddress.Lines(order.ShippingAddress), order.CreatedAt, order.PaidAt, order.PaymentReference, order.CompletedAt, order.ClosedAt),
            order.Lines.OrderBy(l => l.LineNumber).Select(l => new EvidencePackItem(l.Quantity, MoneyDto.From(l.LineTotal),
                ListingResponse.Of(l))).ToList(),
            order.Carrier is { } carrier && order.TrackingNumber is { } tracking && order.ShippedAt is { } shipped
                ? new EvidencePackShipment(carrier, tracking, shipped, order.DeliveredAt, delivered is null ? null : ProcessNames.Of(delivered.Actor))
                : null,
            confirmed is null ? null : new EvidencePackConfirmation(confirmed.At, ProcessNames.Of(confirmed.Actor)),
            order.Timeline.OrderBy(e => e.Sequence).Select(e => Entry(e.At, ProcessNames.Of(e.Actor), e.ActorUserId, e.Kind, e.Detail)).ToList(),
            orderMessages.Select(m => new EvidencePackMessage("order", ProcessNames.Of(m.Party), m.SentAt, m.Body))
                .Concat(disputeMessages.Select(m => new EvidencePackMessage($"dispute {m.DisputeId}", ProcessNames.Of(m.Party), m.SentAt, m.Body)))
                .OrderBy(m => m.SentAt).ToList(),
            evidence.OrderBy(e => e.UploadedAt).ThenBy(e => e.Id).Select(e => new EvidencePackFile(e.DisputeId, ProcessNames.Of(e.Party), e.FileName,
                e.ContentType, e.Length, e.Sha256, e.Description, e.UploadedAt, $"/api/v1/disputes/{e.DisputeId}/evidence/{e.Id}")).ToList(),
            disputes.OrderBy(d => d.OpenedAt).ThenBy(d => d.IsChargeback).ThenBy(d => d.Id).Select(d => new EvidencePackDispute(d.Id, d.Kind, DisputeProcess.Name(d.Reason),
                DisputeProcess.StatusName(d.Status), d.Description, d.Outcome is { } x ? DisputeProcess.Name(x) : null,
                d.RefundAmount is { } r ? M(r) : null, d.OpenedAt,
                d.Timeline.OrderBy(e => e.Sequence).Select(e => Entry(e.At, ProcessNames.Of(e.Actor), e.ActorUserId, e.Kind, e.Detail)).ToList())).ToList());
    }

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapGet("/{id:guid}/evidence-pack", async (Guid id, HttpContext http, EvidencePack pack, CancellationToken ct) =>
        {
            var result = await pack.RunAsync(Caller.From(http.User), id, ct);
            var accept = http.Request.GetTypedHeaders().Accept;
            if (accept.Any(a => a.MediaType.Equals("application/pdf", StringComparison.OrdinalIgnoreCase)))
                return Results.File(EvidencePackPdf.Render(result), "application/pdf", $"evidence-pack-{result.Order.Number}.pdf");
            return Results.Ok(result);
        })
        .Produces<EvidencePackResponse>(contentType: "application/json")
        .Produces(StatusCodes.Status200OK, contentType: "application/pdf");
}
