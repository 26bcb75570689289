using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Process;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Features.Disputes;

public sealed record OfferResponse(int Sequence, [property: ApiEnum<DisputeParty>] string By, DateTimeOffset At, [property: ApiEnum<DisputeOutcome>] string Outcome, MoneyDto? Amount, string Message);
public sealed record ReturnShipmentResponse(string Carrier, string TrackingNumber, DateTimeOffset ShippedAt, DateTimeOffset? ReceivedAt);
public sealed record DecisionResponse(Guid ArbiterId, DateTimeOffset DecidedAt, [property: ApiEnum<DisputeOutcome>] string Outcome, MoneyDto? RefundAmount, string Rationale);
public sealed record AppealResponse(string By, DateTimeOffset At, string Reason, DecisionResponse? Decision);
public sealed record EvidenceResponse(Guid Id, string Party, Guid UploadedBy, string FileName, string ContentType, long Size, string Sha256,
    string? Description, DateTimeOffset UploadedAt, string Url);
public sealed record DisputeMessageResponse(Guid Id, string Party, Guid AuthorId, string Body, DateTimeOffset SentAt);

/// <summary>An item a dispute claims: the order item's <c>itemId</c>, its title and unit price as bought, the quantity claimed and its value.</summary>
public sealed record DisputeItemResponse(Guid ItemId, string Title, int Quantity, MoneyDto UnitPrice, MoneyDto Amount)
{
    public static IReadOnlyList<DisputeItemResponse> Of(Guid orderId, string currency, IEnumerable<DisputeItem> items) =>
        items.OrderBy(i => i.LineNumber).Select(i => new DisputeItemResponse(OrderLine.ItemIdOf(orderId, i.LineNumber), i.Title, i.Quantity,
            new MoneyDto(i.UnitPriceAmount, currency), new MoneyDto(i.Amount, currency))).ToList();
}

/// <summary>The disputed order as an arbiter needs it: its state, total, shipment and the listing as it was bought.</summary>
public sealed record DisputedOrderResponse(Guid Id, [property: ApiEnum<OrderStatus>] string Status, MoneyDto Total, IReadOnlyList<OrderItemResponse> Items, ShipmentResponse? Shipment,
    DateTimeOffset? DeliveredAt, DateTimeOffset? CompletedAt);

/// <summary>A dispute as its parties and arbiters see it, with what the caller may do now.</summary>
/// <param name="ClaimedAmount">What the dispute claims: the value of its <c>items</c> (unit price × quantity claimed), or the order's total. A full refund is this; no refund is more.</param>
/// <param name="Items">The items the dispute names, each with the quantity claimed; empty for a dispute on the whole order.</param>
/// <param name="HeldAmount">
/// While it is open, what it holds: a per-item dispute keeps only its items' value in escrow while the rest of the order
/// goes on; a dispute on the whole order holds all that is captured. Null once it has ended.
/// </param>
public sealed record DisputeResponse(
    Guid Id,
    Guid OrderId,
    Guid BuyerId,
    Guid SellerId,
    [property: ApiEnum<DisputeStatus>] string Status,
    string Kind,
    [property: ApiEnum<DisputeReason>] string Reason,
    [property: ApiEnum<DisputeOutcome>] string RequestedOutcome,
    MoneyDto? RequestedAmount,
    string Description,
    MoneyDto OrderTotal,
    [property: ApiEnum<DisputeOutcome>] string? Outcome,
    MoneyDto? RefundAmount,
    DateTimeOffset OpenedAt,
    DateTimeOffset? SellerAnsweredAt,
    string? RejectionReason,
    DateTimeOffset? EscalatedAt,
    bool DecisionOverdue,
    ReturnShipmentResponse? ReturnShipment,
    DecisionResponse? Decision,
    AppealResponse? Appeal,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? SettledAt,
    DateTimeOffset? WithdrawnAt,
    IReadOnlyList<OfferResponse> Offers,
    IReadOnlyDictionary<string, DateTimeOffset> Deadlines,
    IReadOnlyList<TimelineEntry> Timeline,
    IReadOnlyList<EvidenceResponse> Evidence,
    IReadOnlyList<DisputeMessageResponse> Messages,
    [property: ApiEnum<DisputeTrigger>(DisputeResponse.AddEvidence, DisputeResponse.SendMessage)] IReadOnlyList<string> Actions,
    DisputedOrderResponse? Order,
    MoneyDto ClaimedAmount,
    IReadOnlyList<DisputeItemResponse> Items,
    MoneyDto? HeldAmount)
{
    public static DisputeResponse From(Dispute d, Order? order, IEnumerable<DisputeEvidence> evidence, IEnumerable<DisputeMessage> messages,
        Caller caller, DateTimeOffset now)
    {
        var currency = Currency.Of(d.Currency);
        MoneyDto? M(long? amount) => amount is { } a ? new MoneyDto(a, currency.Code) : null;
        var actor = DisputeAccess.ActorOf(d, caller);
        return new DisputeResponse(
            d.Id,
            d.OrderId,
            d.BuyerId,
            d.SellerId,
            DisputeProcess.StatusName(d.Status),
            d.Kind,
            DisputeProcess.Name(d.Reason),
            DisputeProcess.Name(d.RequestedOutcome),
            M(d.RequestedAmount),
            d.Description,
            MoneyDto.From(d.OrderTotal),
            d.Outcome is { } o ? DisputeProcess.Name(o) : null,
            M(d.RefundAmount),
            d.OpenedAt,
            d.SellerAnsweredAt,
            d.RejectionReason,
            d.EscalatedAt,
            d.IsDecisionOverdue(now),
            d.ReturnCarrier is not null && d.ReturnTrackingNumber is not null && d.ReturnShippedAt is { } shipped
                ? new ReturnShipmentResponse(d.ReturnCarrier, d.ReturnTrackingNumber, shipped, d.ReturnReceivedAt) : null,
            d.DecidedBy is { } arbiter && d.DecidedAt is { } decided && d.DecisionOutcome is { } decision
                ? new DecisionResponse(arbiter, decided, DisputeProcess.Name(decision), M(d.DecisionAmount), d.DecisionRationale ?? "") : null,
            d.AppealedAt is { } appealed
                ? new AppealResponse(ProcessNames.Of(d.AppealedBy ?? DisputeParty.None), appealed, d.AppealReason ?? "",
                    d.AppealArbiterId is { } second && d.AppealDecidedAt is { } at && d.AppealOutcome is { } outcome
                        ? new DecisionResponse(second, at, DisputeProcess.Name(outcome), M(d.AppealAmount), d.AppealRationale ?? "") : null)
                : null,
            d.ResolvedAt,
            d.SettledAt,
            d.WithdrawnAt,
            d.Offers.OrderBy(x => x.Sequence).Select(x => new OfferResponse(x.Sequence, ProcessNames.Of(x.By), x.At, DisputeProcess.Name(x.Outcome),
                M(x.Amount), x.Message)).ToList(),
            d.PendingDeadlines(),
            d.Timeline.OrderBy(e => e.Sequence).Select(e => new TimelineEntry(e.At, ProcessNames.Of(e.Actor), e.ActorUserId, e.Kind, e.Detail, e.PlatformUserId)).ToList(),
            evidence.OrderBy(e => e.UploadedAt).ThenBy(e => e.Id).Select(e => EvidenceOf(d, e)).ToList(),
            messages.OrderBy(m => m.SentAt).ThenBy(m => m.Id).Select(MessageOf).ToList(),
            ActionsFor(d, actor, now),
            order is null ? null : new DisputedOrderResponse(order.Id, OrderProcess.StatusName(order.Status), MoneyDto.From(order.Total),
                order.Lines.OrderBy(l => l.LineNumber).Select(OrderItemResponse.Of).ToList(),
                order.Carrier is not null && order.TrackingNumber is not null && order.ShippedAt is { } s ? new ShipmentResponse(order.Carrier, order.TrackingNumber, s) : null,
                order.DeliveredAt, order.CompletedAt),
            new MoneyDto(d.ClaimedAmount, currency.Code),
            DisputeItemResponse.Of(d.OrderId, currency.Code, d.Items),
            order is not null && order.OpenDisputeId == d.Id ? MoneyDto.From(order.HeldByDispute) : null);
    }

    /// <summary>The actions besides the process's transitions.</summary>
    public const string AddEvidence = "add_evidence", SendMessage = "send_message";

    /// <summary>The process's actions for the caller, and adding evidence or a message where they may.</summary>
    public static IReadOnlyList<string> ActionsFor(Dispute d, DisputeActor actor, DateTimeOffset now)
    {
        var actions = DisputeProcess.ActionsFor(d, actor, now).ToList();
        if (DisputeEvidenceFeature.MayAdd(d, actor)) actions.Add(AddEvidence);
        if (DisputeMessages.MaySend(d, actor)) actions.Add(SendMessage);
        return actions;
    }

    public static EvidenceResponse EvidenceOf(Dispute d, DisputeEvidence e) => new(e.Id, ProcessNames.Of(e.Party), e.UploadedBy, e.FileName,
        e.ContentType, e.Length, e.Sha256, e.Description, e.UploadedAt, $"/api/v1/disputes/{d.Id}/evidence/{e.Id}");

    public static DisputeMessageResponse MessageOf(DisputeMessage m) => new(m.Id, ProcessNames.Of(m.Party), m.AuthorId, m.Body, m.SentAt);

    /// <summary>The response for one dispute, with its evidence and messages read from the database.</summary>
    public static async Task<DisputeResponse> LoadAsync(SafeholdDb db, Dispute d, Order? order, Caller caller, DateTimeOffset now, CancellationToken ct)
    {
        var evidence = await db.DisputeEvidence.AsNoTracking().Where(e => e.DisputeId == d.Id).ToListAsync(ct);
        var messages = await db.DisputeMessages.AsNoTracking().Where(m => m.DisputeId == d.Id).ToListAsync(ct);
        // A tracked change may have added some not yet saved.
        evidence.AddRange(db.ChangeTracker.Entries<DisputeEvidence>().Where(e => e.State == EntityState.Added && e.Entity.DisputeId == d.Id).Select(e => e.Entity));
        messages.AddRange(db.ChangeTracker.Entries<DisputeMessage>().Where(e => e.State == EntityState.Added && e.Entity.DisputeId == d.Id).Select(e => e.Entity));
        order ??= await db.Orders.AsNoTracking().IgnoreAutoIncludes().Include(o => o.Lines).FirstOrDefaultAsync(o => o.Id == d.OrderId, ct);
        return From(d, order, evidence, messages, caller, now);
    }
}

public sealed record DisputeListResponse(IReadOnlyList<DisputeResponse> Items, string? NextCursor);

/// <summary>What the order's <c>dispute</c> field says of its current (latest) dispute.</summary>
/// <param name="ClaimedAmount">What the dispute claims: its items' value, or the order's total.</param>
/// <param name="Items">The items it claims; empty when it is on the whole order.</param>
/// <param name="HeldAmount">
/// While it is open, what it holds (only "More details" says): a per-item dispute's items' value, kept in escrow while the
/// rest of the order goes on; for a dispute on the whole order, all that is captured.
/// </param>
public sealed record DisputeSummary(Guid Id, [property: ApiEnum<DisputeStatus>] string Status, string Kind, [property: ApiEnum<DisputeReason>] string Reason,
    [property: ApiEnum<DisputeOutcome>] string? Outcome, MoneyDto? RefundAmount, DateTimeOffset OpenedAt, MoneyDto? ClaimedAmount = null,
    IReadOnlyList<DisputeItemResponse>? Items = null, MoneyDto? HeldAmount = null)
{
    /// <summary>The latest dispute of each order, by order id.</summary>
    public static async Task<Dictionary<Guid, DisputeSummary>> ForOrdersAsync(SafeholdDb db, IReadOnlyCollection<Guid> orderIds, CancellationToken ct)
    {
        if (orderIds.Count == 0) return [];
        var rows = await OfOrders(db, orderIds as Guid[] ?? [.. orderIds]).ToListAsync(ct);
        var latest = rows.GroupBy(r => r.OrderId)
            // A chargeback opened in the same instant as the dispute it took over from is the later one.
            .Select(g => g.OrderByDescending(x => x.OpenedAt).ThenByDescending(x => x.Reason == DisputeReason.Chargeback).ThenByDescending(x => x.Id).First())
            .ToList();
        var perItem = latest.Where(r => r.ItemsAmount is not null).Select(r => r.Id).ToList();
        var items = perItem.Count == 0 ? [] : await db.Set<DisputeItem>().AsNoTracking().Where(i => perItem.Contains(i.DisputeId)).ToListAsync(ct);
        return latest.ToDictionary(r => r.OrderId, r => new DisputeSummary(r.Id, DisputeProcess.StatusName(r.Status),
            r.Reason == DisputeReason.Chargeback ? "chargeback" : "protection",
            DisputeProcess.Name(r.Reason), r.Outcome is { } o ? DisputeProcess.Name(o) : null,
            r.RefundAmount is { } a ? new MoneyDto(a, r.Currency) : null, r.OpenedAt, new MoneyDto(r.ItemsAmount ?? r.OrderTotalAmount, r.Currency),
            DisputeItemResponse.Of(r.OrderId, r.Currency, items.Where(i => i.DisputeId == r.Id))));
    }

    /// <summary>
    /// The disputes of the orders, the columns a summary needs: compiled once, since every list of orders with a dispute
    /// on its page, and every order's More details after one, reads it (composed per request, EF Core's building of the
    /// query was most of its cost).
    /// </summary>
    private static readonly Func<SafeholdDb, Guid[], IAsyncEnumerable<SummaryRow>> OfOrders = EF.CompileAsyncQuery((SafeholdDb db, Guid[] orderIds) =>
        db.Disputes.Where(d => orderIds.Contains(d.OrderId))
            .Select(d => new SummaryRow(d.Id, d.OrderId, d.Status, d.Reason, d.Outcome, d.RefundAmount, d.Currency, d.OpenedAt, d.ItemsAmount, d.OrderTotalAmount)));

    private sealed record SummaryRow(Guid Id, Guid OrderId, DisputeStatus Status, DisputeReason Reason, DisputeOutcome? Outcome, long? RefundAmount,
        string Currency, DateTimeOffset OpenedAt, long? ItemsAmount, long OrderTotalAmount);

    /// <summary>The order's current dispute, with what it holds while it is open.</summary>
    public static async Task<DisputeSummary?> ForOrderAsync(SafeholdDb db, Order order, CancellationToken ct) =>
        (await ForOrdersAsync(db, [order.Id], ct)).GetValueOrDefault(order.Id) is { } summary
            ? summary with { HeldAmount = order.OpenDisputeId == summary.Id ? MoneyDto.From(order.HeldByDispute) : null }
            : null;
}
