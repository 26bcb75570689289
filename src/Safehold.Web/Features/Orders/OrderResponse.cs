using System.Text.Json;
using Safehold.Domain.Process;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;

namespace Safehold.Web.Features.Orders;

/// <summary>The listing as it was when the order was placed; <c>UploadedImages</c> are the order's own copies.</summary>
public sealed record ListingResponse(string Title, string Description, MoneyDto Price, string? Category, IReadOnlyList<string> Images,
    IReadOnlyList<Products.ImageResponse> UploadedImages)
{
    public static ListingResponse Of(OrderLine l) => new(l.Title, l.Description, MoneyDto.From(l.UnitPrice), l.Category, l.Images,
        l.UploadedImageIds.Select(id => new Products.ImageResponse(id, Products.ImageResponse.OrderUrl(l.OrderId, id))).ToList());
}
/// <summary>One item (line) of an order.</summary>
/// <param name="ItemId">The item's id: stable, and unique to this order's line; a dispute names it in <c>items</c>.</param>
public sealed record OrderItemResponse(Guid ItemId, Guid ProductId, int Quantity, MoneyDto UnitPrice, MoneyDto LineTotal, ListingResponse Listing)
{
    public static OrderItemResponse Of(OrderLine l) => new(l.ItemId, l.ProductId, l.Quantity, MoneyDto.From(l.UnitPrice), MoneyDto.From(l.LineTotal), ListingResponse.Of(l));
}
public sealed record ShipmentResponse(string Carrier, string TrackingNumber, DateTimeOffset ShippedAt);
/// <summary>One event of an order's or a dispute's history; <c>PlatformUserId</c> is the marketplace's platform when it acted for the actor.</summary>
public sealed record TimelineEntry(DateTimeOffset At, string Actor, Guid? ActorUserId, string Event, string? Detail, Guid? PlatformUserId = null);

/// <summary>"More details" of an order: everything a party needs, and what they may do now; <c>checkoutId</c> names the checkout that placed it with other sellers' orders (paid on the checkout's path).</summary>
public sealed record OrderResponse(
    Guid Id,
    [property: ApiEnum<OrderStatus>] string Status,
    Guid BuyerId,
    Guid SellerId,
    MoneyDto Total,
    int CommissionBasisPoints,
    IReadOnlyList<OrderItemResponse> Items,
    JsonElement ShippingAddress,
    ShipmentResponse? Shipment,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PaidAt,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? ClosedAt,
    IReadOnlyList<TimelineEntry> Timeline,
    IReadOnlyDictionary<string, DateTimeOffset> Deadlines,
    [property: ApiEnum<OrderTrigger>] IReadOnlyList<string> Actions,
    IReadOnlyList<ExtensionResponse> Extensions,
    DisputeSummary? Dispute,
    [property: ApiExternalId] string? ExternalId,
    [property: ApiMetadata] IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<Features.Tracking.TrackingScanResponse>? Tracking = null,
    Guid? CheckoutId = null)
{
    /// <summary>
    /// The response with the order's current dispute read from the database (only for an order that ever had one), and its
    /// shipment's carrier scans (<c>tracking</c>, oldest first; only "More details" carries them, not a list).
    /// </summary>
    public static async Task<OrderResponse> ForAsync(SafeholdDb db, Order o, Caller caller, DateTimeOffset now, CancellationToken ct)
    {
        var dispute = HadDispute(o) ? await DisputeSummary.ForOrderAsync(db, o, ct) : null;
        var tracking = await Features.Tracking.TrackingScans.ForOrderAsync(db, o, ct);
        return From(o, caller, now, dispute) with { Tracking = tracking };
    }

    /// <summary>Whether a dispute was ever opened on the order, as its (loaded) timeline tells.</summary>
    public static bool HadDispute(Order o) => o.Timeline.Any(e => e.Kind is "dispute_opened" or "chargeback_opened");

    public static OrderResponse From(Order o, Caller caller, DateTimeOffset now, DisputeSummary? dispute = null) => new(
        o.Id,
        OrderProcess.StatusName(o.Status),
        o.BuyerId,
        o.SellerId,
        MoneyDto.From(o.Total),
        o.CommissionBasisPoints,
        o.Lines.OrderBy(l => l.LineNumber).Select(OrderItemResponse.Of).ToList(),
        JsonDocument.Parse(o.ShippingAddress).RootElement.Clone(),
        o.Carrier is not null && o.TrackingNumber is not null && o.ShippedAt is { } shipped ? new ShipmentResponse(o.Carrier, o.TrackingNumber, shipped) : null,
        o.CreatedAt,
        o.PaidAt,
        o.DeliveredAt,
        o.CompletedAt,
        o.ClosedAt,
        o.Timeline.OrderBy(e => e.Sequence).Select(e => new TimelineEntry(e.At, ProcessNames.Of(e.Actor), e.ActorUserId, e.Kind, e.Detail, e.PlatformUserId)).ToList(),
        o.PendingDeadlines(),
        // What the caller may do now, from the order's table: a checkout's order offers no pay of its own (its row's guard).
        OrderProcess.ActionsFor(o, OrderAccess.PartyOf(o, caller), now).ToList(),
        o.Extensions.OrderBy(e => e.RequestedAt).Select(ExtensionResponse.From).ToList(),
        dispute,
        o.ExternalId,
        ExternalIds.Read(o.Metadata),
        CheckoutId: o.CheckoutId);
}

public sealed record OrderListResponse(IReadOnlyList<OrderResponse> Items, string? NextCursor);
